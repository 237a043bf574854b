//! `kill -9` while `--snapshots update` rewrites many `.snap` files, at [`MOMENTS`] of the
//! run: afterwards every `.snap` holds its old content or its new one, never a part, and the
//! next run leaves no temporary file behind (docs/snapshots.md).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Stdio;

use crate::{recorder, support};

const REQUESTS: usize = 40;

/// How many requests the server has answered when the run is killed.
pub(crate) const MOMENTS: [usize; 12] = [0, 1, 2, 3, 5, 8, 13, 18, 24, 30, 36, 39];

fn collection() -> String {
    let mut c = String::from("name: s\nrequests:\n");
    for i in 0..REQUESTS {
        let _ = write!(
            c,
            "  - name: r{i:02}\n    url: \"{{{{ base_url }}}}/r{i:02}\"\n    snapshot: true\n"
        );
    }
    c
}

/// A large body, so that each snapshot takes a while to write.
fn body(tag: &str) -> String {
    format!("{{\"v\": \"{tag}\", \"pad\": \"{}\"}}", tag.repeat(50_000))
}

/// The files of the snapshot folder, by name.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir.join("collections/__snapshots__"))
        .map(|rd| {
            rd.flatten()
                .map(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    (name, std::fs::read(e.path()).unwrap_or_default())
                })
                .collect()
        })
        .unwrap_or_default()
}

fn set_base(dir: &Path, base: &str) {
    std::fs::write(dir.join("environments/t.yaml"), recorder::environment(base))
        .expect("write the environment");
}

fn update(dir: &Path) -> std::process::Output {
    support::run(
        dir,
        &["run", "collections", "--env", "t", "--snapshots", "update"],
    )
}

#[test]
fn a_kill_during_snapshot_writes_leaves_old_or_new_files_and_no_leftovers() {
    let (old_base, _) = recorder::start_with(body("old"));
    let first = support::workspace(&[("collections/s.yaml", &collection())]);
    std::fs::create_dir_all(first.path().join("environments")).expect("mkdir");
    set_base(first.path(), &old_base);
    let (code, stdout, stderr) = support::parts(&update(first.path()));
    assert_eq!(code, 0, "{stdout}{stderr}");
    let old = files(first.path());
    assert_eq!(old.len(), REQUESTS, "{old:?}");
    let mut failures = Vec::new();
    let mut mixed = 0;
    for moment in MOMENTS {
        let tmp = tempfile::tempdir().expect("tmp");
        support::copy_dir(first.path(), tmp.path());
        let (new_base, seen) = recorder::start_with(body("new"));
        set_base(tmp.path(), &new_base);
        let mut child = support::courier(tmp.path())
            .args(["run", "collections", "--env", "t", "--snapshots", "update"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("courier starts");
        while seen.lock().expect("the log").len() < moment
            && child.try_wait().expect("wait").is_none()
        {
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        child.kill().expect("kill -9");
        child.wait().expect("reaped");
        let killed = files(tmp.path());
        // The next run writes every snapshot anew and clears what the killed one left.
        let (code, stdout, stderr) = support::parts(&update(tmp.path()));
        let new = files(tmp.path());
        if code != 0 || new.len() != REQUESTS || new.keys().ne(old.keys()) {
            failures.push(format!(
                "moment {moment}: the next run left {:?}\n{stdout}{stderr}",
                new.keys().collect::<Vec<_>>()
            ));
            continue;
        }
        let (mut olds, mut news) = (0, 0);
        for (name, text) in &killed {
            if name.starts_with(".tmp-courier-") {
                continue;
            }
            let (is_old, is_new) = (old.get(name) == Some(text), new.get(name) == Some(text));
            olds += usize::from(is_old);
            news += usize::from(is_new);
            if !is_old && !is_new {
                failures.push(format!("moment {moment}: `{name}` is neither old nor new"));
            }
        }
        if olds > 0 && news > 0 {
            mixed += 1;
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The kills came in the middle of the update, not only before or after it.
    assert!(mixed > 0, "no kill left old and new snapshots side by side");
}
