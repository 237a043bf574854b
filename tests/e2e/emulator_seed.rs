//! `COURIER_EMULATOR_SEED` reseeds every embedded emulator (docs/emulator.md, "Seeds"): a
//! collection that hard-codes a record of seed 0 fails under another seed, as it would on a
//! real company.

use crate::support::{courier, parts, workspace};

const COLLECTION: &str = r#"
name: Seeded
auth: intacct
requests:
  - name: first vendor of seed 0
    url: "{{ base_url }}/objects/accounts-payable/vendor/84"
    expect: { status: 200 }
"#;

fn run_with_seed(seed: Option<&str>) -> (i32, String, String) {
    let dir = workspace(&[("collections/seeded.yaml", COLLECTION)]);
    let mut cmd = courier(dir.path());
    cmd.args(["run", "--env", "local"]);
    if let Some(seed) = seed {
        cmd.env("COURIER_EMULATOR_SEED", seed);
    }
    parts(&cmd.output().expect("the courier binary runs"))
}

#[test]
fn the_seed_variable_moves_the_records_a_collection_hard_codes() {
    let (code, stdout, _) = run_with_seed(None);
    assert_eq!(code, 0, "seed 0 has vendor 84: {stdout}");
    let (code, stdout, _) = run_with_seed(Some("7"));
    assert_eq!(code, 1, "seed 7 moves the keys: {stdout}");
    assert!(
        stdout.contains("FAIL Seeded / first vendor of seed 0  404"),
        "{stdout}"
    );
}

#[test]
fn a_seed_variable_that_is_not_a_number_stops_the_run_before_anything_is_sent() {
    let (code, stdout, stderr) = run_with_seed(Some("seven"));
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(stderr.contains("COURIER_EMULATOR_SEED"), "{stderr}");
}
