//! Finds where a value sits in a YAML text, by the same path syntax serde_path_to_error prints
//! (`faults[2].action.delay`). serde_yaml keeps no spans after parsing, so semantic errors
//! found later are located by walking the text's events once.

use std::collections::BTreeMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// Line and column (1-based) of every node in a YAML document, by path.
#[derive(Debug, Default)]
pub struct Locations {
    by_path: BTreeMap<String, (usize, usize)>,
}

impl Locations {
    /// Indexes `text`. A text that does not parse yields an empty index: the serde error for it
    /// already carries a location.
    pub fn index(text: &str) -> Self {
        let mut rx = Receiver::default();
        let mut parser = Parser::new_from_str(text);
        if parser.load(&mut rx, false).is_err() {
            return Locations::default();
        }
        Locations { by_path: rx.out }
    }

    /// The location of `path`, or of its nearest indexed ancestor.
    pub fn find(&self, path: &str) -> Option<(usize, usize)> {
        let mut p = path.to_string();
        loop {
            if let Some(&loc) = self.by_path.get(&p) {
                return Some(loc);
            }
            let cut = p.rfind(['.', '['])?;
            p.truncate(cut);
        }
    }
}

enum Frame {
    Map {
        key: Option<String>,
        expect_key: bool,
    },
    Seq {
        next: usize,
    },
}

#[derive(Default)]
struct Receiver {
    stack: Vec<Frame>,
    out: BTreeMap<String, (usize, usize)>,
}

impl Receiver {
    fn path(&self) -> String {
        let mut p = String::new();
        for f in &self.stack {
            match f {
                Frame::Map { key: Some(k), .. } => {
                    if !p.is_empty() {
                        p.push('.');
                    }
                    p.push_str(k);
                }
                Frame::Map { key: None, .. } => {}
                Frame::Seq { next } => p.push_str(&format!("[{}]", next.saturating_sub(1))),
            }
        }
        p
    }

    /// Called when a value node starts at `mark`: records it, and advances the parent.
    fn value_at(&mut self, mark: Marker) {
        if let Some(Frame::Seq { next }) = self.stack.last_mut() {
            *next += 1;
        }
        let path = self.path();
        self.out
            .entry(path)
            .or_insert((mark.line(), mark.col() + 1));
    }

    fn value_done(&mut self) {
        if let Some(Frame::Map { key, expect_key }) = self.stack.last_mut() {
            *key = None;
            *expect_key = true;
        }
    }
}

impl MarkedEventReceiver for Receiver {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        match ev {
            Event::Scalar(value, ..) => {
                if let Some(Frame::Map { key, expect_key }) = self.stack.last_mut()
                    && *expect_key
                {
                    *key = Some(value);
                    *expect_key = false;
                    return;
                }
                self.value_at(mark);
                self.value_done();
            }
            Event::MappingStart(..) => {
                self.value_at(mark);
                self.stack.push(Frame::Map {
                    key: None,
                    expect_key: true,
                });
            }
            Event::SequenceStart(..) => {
                self.value_at(mark);
                self.stack.push(Frame::Seq { next: 0 });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
                self.value_done();
            }
            Event::Alias(_) => {
                self.value_at(mark);
                self.value_done();
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_resolve_to_lines_and_columns() {
        let text = "name: x\nfaults:\n  - name: a\n    when: {mti: [\"0210\"]}\n  - name: b\n";
        let loc = Locations::index(text);
        assert_eq!(loc.find("name"), Some((1, 7)));
        assert_eq!(loc.find("faults[0].name"), Some((3, 11)));
        assert_eq!(loc.find("faults[0].when.mti[0]"), Some((4, 18)));
        assert_eq!(loc.find("faults[1].name"), Some((5, 11)));
        // A path that is not in the text resolves to its nearest ancestor: the list item.
        assert_eq!(loc.find("faults[1].action").map(|l| l.0), Some(5));
    }
}
