//! The catalogue keeps itself honest: every `scenarios/**/*.yaml` must pass, must replay
//! byte-identically with the same seed, and must match its reviewed snapshot in `snapshots/`.

use posfault::runner::run;
use posfault::scenario::load_file;

#[test]
fn catalogue() {
    insta::glob!("../scenarios", "**/*.yaml", |path| {
        let scenario = load_file(path).unwrap_or_else(|errors| {
            let text: Vec<_> = errors.iter().map(ToString::to_string).collect();
            panic!("invalid scenario:\n{}", text.join("\n"))
        });
        if posfault::live::is_live(&scenario) {
            // Real-time runs have no reproducible transcript to snapshot; tests/live.rs runs
            // them.
            return;
        }
        let first = run(&scenario, scenario.seed);
        let again = run(&scenario, scenario.seed);
        let (a, b) = (
            serde_yaml::to_string(&first.transcript).unwrap(),
            serde_yaml::to_string(&again.transcript).unwrap(),
        );
        assert!(
            a == b,
            "{}: same seed gave different transcripts",
            path.display()
        );
        assert!(
            first.passed,
            "{} failed:\n{}",
            path.display(),
            posfault::timeline::verdict(&first, &path.display().to_string(), true)
        );
        insta::with_settings!({
            snapshot_path => "../snapshots",
            prepend_module_to_snapshot => false,
            description => scenario.description.clone(),
            omit_expression => true,
        }, {
            insta::assert_yaml_snapshot!(first);
        });
    });
}
