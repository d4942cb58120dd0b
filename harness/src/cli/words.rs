//! Parsing `--terminal-cmd` and `--time-scale`.

/// Splits a command line the way a POSIX shell splits words, without expanding anything:
/// whitespace separates words, `'...'` keeps everything literally, `"..."` keeps everything
/// but `\"` and `\\`, and a backslash outside quotes escapes the next character. So a
/// `--terminal-cmd` can name paths with spaces, and no shell is started to run it.
pub fn split(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err("a single quote (') is not closed".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\')) => word.push(c),
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err("a double quote (\") is not closed".into()),
                        },
                        Some(c) => word.push(c),
                        None => return Err("a double quote (\") is not closed".into()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some(c) => word.push(c),
                    None => return Err("the line ends with a lone backslash".into()),
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

/// A program and its arguments (one clap value, not a list of occurrences).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Argv(pub Vec<String>);

/// `--terminal-cmd`: at least a program.
pub fn parse_command(line: &str) -> Result<Argv, String> {
    let words = split(line)?;
    if words.is_empty() {
        return Err("expected a command, e.g. \"python3 terminal.py\"".into());
    }
    Ok(Argv(words))
}

/// `--time-scale`: a finite number above 0.
pub fn parse_scale(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(f) if f.is_finite() && f > 0.0 => Ok(f),
        _ => Err(format!(
            "expected a number above 0 such as 0.5 or 2, found {s:?}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_like_a_shell_without_expansion() {
        assert_eq!(
            split(r#"python3 'my dir/t.py' --name "a \"b\"" x\ y $HOME"#).unwrap(),
            [
                "python3",
                "my dir/t.py",
                "--name",
                "a \"b\"",
                "x y",
                "$HOME"
            ]
        );
        assert_eq!(split("  ").unwrap(), Vec::<String>::new());
        assert_eq!(split("''").unwrap(), [""]);
        assert!(split("'open").unwrap_err().contains("not closed"));
        assert!(parse_command("").is_err());
    }

    #[test]
    fn a_time_scale_must_be_positive() {
        assert_eq!(parse_scale("0.5"), Ok(0.5));
        for bad in ["0", "-1", "nan", "inf", "x"] {
            assert!(parse_scale(bad).is_err(), "{bad}");
        }
    }
}
