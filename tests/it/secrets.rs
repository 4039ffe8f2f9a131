//! Secrets end to end, on the synthetic example's secret key `token`:
//! `config set --secret` round trips; the plaintext reaches no file under
//! the state or working directory and none of the output (`preview`, `up`,
//! `--json`, `outputs`, `-v`, a failing run's error); a wrong or missing
//! passphrase stops a run before anything is read or written; `config
//! rekey` keeps every secret; and the KMS provider against the test cloud.

use crate::support::cli::{Run, command, example, run};
use meridian_testkit::{TestAccount, TestCloud};
use std::path::Path;

const FILE: &str = "Meridian.synthetic.dev.json";
const PASS: (&str, &str) = ("MERIDIAN_CONFIG_PASSPHRASE", "correct horse battery");

fn synthetic(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Run {
    let mut cmd = command(&example("synthetic"), dir, None, args);
    cmd.env_remove("MERIDIAN_CONFIG_PASSPHRASE")
        .env_remove("MERIDIAN_CONFIG_NEW_PASSPHRASE");
    cmd.envs(env.iter().copied());
    run(&mut cmd)
}

fn ok(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Run {
    let r = synthetic(dir, env, args);
    assert_eq!(r.code, 0, "{args:?}\n{}", r.show());
    r
}

/// Asserts that no output of `r` holds `secret`.
fn hides(r: &Run, secret: &str) {
    assert!(
        !r.stdout.contains(secret) && !r.stderr.contains(secret),
        "the plaintext was printed:\n{}",
        r.show()
    );
}

/// Asserts that `r` printed `text` on stdout.
fn shows(r: &Run, text: &str) {
    assert!(r.stdout.contains(text), "{}", r.show());
}

/// Every file under `dir`, recursively, as bytes.
fn files(dir: &Path, out: &mut Vec<(std::path::PathBuf, Vec<u8>)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        match path.is_dir() {
            true => files(&path, out),
            false => out.push((path.clone(), std::fs::read(&path).unwrap())),
        }
    }
}

fn assert_no_file_holds(dir: &Path, secret: &str) {
    let mut all = Vec::new();
    files(dir, &mut all);
    assert!(all.len() > 2, "{all:?}");
    for (path, bytes) in all {
        let found = bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
        assert!(!found, "{} holds the plaintext", path.display());
    }
}

/// A small stack (3 resources and `credential`) with a secret token.
fn small_stack(dir: &Path, env: &[(&str, &str)], token: &str) {
    ok(dir, env, &["config", "set", "resources", "3"]);
    ok(dir, env, &["config", "set", "layers", "1"]);
    let r = ok(dir, env, &["config", "set", "token", token, "--secret"]);
    hides(&r, token);
    r.assert_stderr_has("Saved token");
}

/// [`small_stack`] in a new directory, applied.
fn deployed(token: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    small_stack(dir.path(), &[PASS], token);
    ok(dir.path(), &[PASS], &["up", "--yes"]);
    dir
}

#[test]
fn a_secret_round_trips_and_its_plaintext_reaches_no_file_and_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let token = "tok-9f2Qx81-rt";
    let env = [PASS];
    small_stack(d, &env, token);

    // The file: the provider, the data key encrypted, the value sealed.
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join(FILE)).unwrap()).unwrap();
    assert_eq!(saved["secrets_provider"], "passphrase");
    assert!(
        saved["encrypted_key"]
            .as_str()
            .unwrap()
            .contains("AGE ENCRYPTED")
    );
    assert!(saved["config"]["token"]["secure"].is_string(), "{saved}");
    assert_eq!(saved["config"]["resources"], "3");

    // Read back: by name in plaintext; listed masked unless asked.
    assert_eq!(
        ok(d, &env, &["config", "get", "token"]).stdout,
        format!("{token}\n")
    );
    let r = ok(d, &env, &["config", "list"]);
    shows(&r, "token: [secret]");
    hides(&r, token);
    let doc = ok(d, &env, &["config", "list", "--json"]).json();
    assert_eq!(doc["config"]["token"], "[secret]");
    assert_eq!(doc["secrets"], serde_json::json!(["token"]));
    let r = ok(d, &env, &["config", "list", "--show-secrets"]);
    shows(&r, &format!("token: {token}"));

    // Every verb's output, text and JSON, verbose too.
    let r = ok(d, &env, &["preview", "--diff"]);
    hides(&r, token);
    shows(&r, "[secret]");
    hides(&ok(d, &env, &["preview", "--json"]), token);
    let r = ok(d, &env, &["up", "--yes", "-v"]);
    hides(&r, token);
    let r = ok(d, &env, &["outputs"]);
    hides(&r, token);
    shows(&r, "auth_header: [secret]");
    let doc = ok(d, &env, &["outputs", "--json"]).json();
    assert_eq!(doc["auth_header"], "[secret]");
    let r = ok(d, &env, &["outputs", "--show-secrets"]);
    shows(&r, &format!("Bearer {token}"));

    // The state holds it sealed, and reads back equal: no changes.
    let r = ok(d, &env, &["preview", "--expect-no-changes"]);
    hides(&r, token);
    let export = ok(d, &env, &["state", "export"]);
    hides(&export, token);
    assert!(
        export.stdout.contains("__meridian_secret"),
        "{}",
        export.stdout
    );
    // A change of the secret updates the resource, still masked.
    let r = ok(
        d,
        &env,
        &[
            "up",
            "--yes",
            "--json",
            "--config",
            &format!("token={token}-2"),
        ],
    );
    hides(&r, token);
    let saved = std::fs::read_to_string(d.join(FILE)).unwrap();
    assert!(!saved.contains(token), "{saved}");
    assert_eq!(
        ok(d, &env, &["config", "get", "token"]).stdout,
        format!("{token}-2\n")
    );

    // Set again without --secret, a secret key stays secret.
    let r = ok(d, &env, &["config", "set", "token", &format!("{token}-3")]);
    hides(&r, token);
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join(FILE)).unwrap()).unwrap();
    assert!(saved["config"]["token"]["secure"].is_string(), "{saved}");

    // A failing run whose error would quote the secret.
    let r = synthetic(
        d,
        &env,
        &["config", "set", "layers", &format!("L{token}"), "--secret"],
    );
    assert_eq!(r.code, 1, "{}", r.show());
    hides(&r, token);
    r.assert_stderr_has("[secret]");

    assert_no_file_holds(d, token);
}

#[test]
fn a_wrong_or_missing_passphrase_stops_before_anything_is_read_or_written() {
    let token = "tok-Wp7n3-zz";
    let dir = deployed(token);
    let d = dir.path();
    let config_before = std::fs::read(d.join(FILE)).unwrap();
    let state_before = ok(d, &[PASS], &["state", "export"]).stdout;

    let wrong = [("MERIDIAN_CONFIG_PASSPHRASE", "wrong")];
    for args in [
        &["preview"][..],
        &["up", "--yes", "--config", "resources=4"],
        &["destroy", "--yes"],
        &["outputs", "--show-secrets"],
        &["config", "get", "token"],
        &["config", "set", "other", "x", "--secret"],
    ] {
        let r = synthetic(d, &wrong, args);
        assert_eq!(r.code, 1, "{args:?}: {}", r.show());
        r.assert_stderr_has("wrong passphrase");
        hides(&r, token);
        let r = synthetic(d, &[], args);
        assert_eq!(r.code, 1, "{args:?}: {}", r.show());
        r.assert_stderr_has("set MERIDIAN_CONFIG_PASSPHRASE");
    }
    assert_eq!(std::fs::read(d.join(FILE)).unwrap(), config_before);
    assert_eq!(ok(d, &[PASS], &["state", "export"]).stdout, state_before);
    ok(d, &[PASS], &["preview", "--expect-no-changes"]);
}

#[test]
fn rekey_to_a_new_passphrase_keeps_every_secret() {
    let token = "tok-Rk44m-qq";
    let dir = deployed(token);
    let d = dir.path();
    let new = ("MERIDIAN_CONFIG_NEW_PASSPHRASE", "a new passphrase");

    let r = synthetic(d, &[PASS], &["config", "rekey"]);
    assert_eq!(r.code, 1, "{}", r.show());
    r.assert_stderr_has("set MERIDIAN_CONFIG_NEW_PASSPHRASE");
    let r = ok(d, &[PASS, new], &["config", "rekey"]);
    r.assert_stderr_has("1 secret value(s) kept");

    let old = synthetic(d, &[PASS], &["preview"]);
    assert_eq!(old.code, 1, "{}", old.show());
    old.assert_stderr_has("wrong passphrase");
    let now = [("MERIDIAN_CONFIG_PASSPHRASE", new.1)];
    assert_eq!(
        ok(d, &now, &["config", "get", "token"]).stdout,
        format!("{token}\n")
    );
    ok(d, &now, &["preview", "--expect-no-changes"]);
    let r = ok(d, &now, &["outputs", "--show-secrets"]);
    shows(&r, &format!("Bearer {token}"));
    assert_no_file_holds(d, token);
}

async fn kms_key(account: &TestAccount) -> String {
    let conf = account.sdk_config("us-east-1").await;
    let kms = aws_sdk_kms::Client::new(&conf);
    let key = kms.create_key().send().await.unwrap();
    let id = key.key_metadata().unwrap().key_id().to_string();
    kms.create_alias()
        .alias_name("alias/meridian-secrets")
        .target_key_id(&id)
        .send()
        .await
        .unwrap();
    id
}

#[tokio::test]
async fn the_kms_provider_encrypts_the_data_key_and_rekey_moves_to_a_passphrase() {
    let account = TestCloud::shared().account();
    let key_id = kms_key(&account).await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    let token = "tok-Km5s1-kk";
    let env: Vec<(String, String)> = account.env();
    let url = "awskms://alias/meridian-secrets?region=us-east-1";
    let go = move |extra: Vec<(String, String)>, args: Vec<String>| {
        let d = d.clone();
        let mut env = env.clone();
        env.extend(extra);
        std::thread::spawn(move || {
            let env: Vec<(&str, &str)> =
                env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            synthetic(&d, &env, &args)
        })
        .join()
        .unwrap()
    };
    let s = |a: &[&str]| a.iter().map(|x| x.to_string()).collect::<Vec<_>>();

    let r = go(vec![], s(&["config", "set", "layers", "1"]));
    assert_eq!(r.code, 0, "{}", r.show());
    go(vec![], s(&["config", "set", "resources", "2"]));
    let r = go(
        vec![],
        s(&[
            "config",
            "set",
            "token",
            token,
            "--secret",
            "--secrets-provider",
            url,
        ]),
    );
    assert_eq!(r.code, 0, "{}", r.show());
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join(FILE)).unwrap()).unwrap();
    assert_eq!(saved["secrets_provider"], url);
    let r = go(vec![], s(&["config", "get", "token"]));
    assert_eq!(r.stdout, format!("{token}\n"), "{}", r.show());
    let r = go(vec![], s(&["up", "--yes"]));
    assert_eq!(r.code, 0, "{}", r.show());
    hides(&r, token);

    // The key is KMS's: a key this account cannot use is a clear error.
    let other = dir.path().join("other.json");
    std::fs::write(
        &other,
        std::fs::read_to_string(dir.path().join(FILE))
            .unwrap()
            .replace(url, "awskms://alias/missing?region=us-east-1"),
    )
    .unwrap();
    let r = go(
        vec![],
        s(&["preview", "--config-file", other.to_str().unwrap()]),
    );
    assert_eq!(r.code, 1, "{}", r.show());
    r.assert_stderr_has("cannot decrypt this stack's data key with awskms://alias/missing");

    // To a passphrase, every secret kept; KMS no longer needed.
    let pass = vec![(
        "MERIDIAN_CONFIG_NEW_PASSPHRASE".to_string(),
        "after kms".to_string(),
    )];
    let r = go(pass, s(&["config", "rekey"]));
    assert_eq!(r.code, 0, "{}", r.show());
    let pass = vec![(
        "MERIDIAN_CONFIG_PASSPHRASE".to_string(),
        "after kms".to_string(),
    )];
    let r = go(pass.clone(), s(&["preview", "--expect-no-changes"]));
    assert_eq!(r.code, 0, "{}", r.show());
    let r = go(pass, s(&["config", "get", "token"]));
    assert_eq!(r.stdout, format!("{token}\n"), "{}", r.show());
    assert!(!key_id.is_empty());
    assert_no_file_holds(dir.path(), token);
}
