//! Format 3 of the sled backend: every write path keeps each record's
//! header, an older state gains its headers with the marker, and
//! `load_summary` / `get_records` read what `load` reads.

use super::format_tests::{marker, open_dev, raw_value};
use super::headers::{decode_header, decode_record, encode_record, split};
use super::tests::{op, record};
use super::*;
use crate::RecordHeader;

/// `record(urn)`, stamped as applied from a declaration (its header has a
/// declared digest).
fn stamped(urn: &str, declared: u8) -> ResourceRecord {
    let mut rec = record(urn);
    rec.stamp(&[declared; 16]);
    rec
}

/// The stack's headers are exactly those of its records: one per record,
/// equal to `RecordHeader::of` it, and none without a record.
#[track_caller]
fn assert_headers_match(st: &SledState) {
    let summary = st
        .load_summary()
        .unwrap()
        .expect("a state of the current format has headers");
    let expected: Vec<(String, RecordHeader)> = st
        .load()
        .unwrap()
        .resources
        .iter()
        .map(|(k, rec)| (k.clone(), RecordHeader::of(rec)))
        .collect();
    assert_eq!(summary.headers, expected);
}

#[test]
fn every_write_path_keeps_one_header_per_record() {
    let dir = tempfile::tempdir().unwrap();
    let (_backend, st) = open_dev(dir.path());
    assert_headers_match(&st);

    st.put_record("u1", Some(&stamped("u1", 1))).unwrap();
    st.put_record("u2", Some(&record("u2"))).unwrap();
    assert_headers_match(&st);
    st.put_record("u2", None).unwrap();
    assert_headers_match(&st);

    st.begin(&op("u3")).unwrap();
    st.complete("u3", Completion::Put(stamped("u3", 3)))
        .unwrap();
    assert_headers_match(&st);
    st.begin(&op("u3")).unwrap();
    st.complete("u3", Completion::Abandon).unwrap();
    assert_headers_match(&st);

    let mut old = stamped("u1", 1);
    old.pending_delete = true;
    st.begin(&op("u1")).unwrap();
    let replaced = Completion::Replaced {
        new: Box::new(stamped("u1", 9)),
        old_key: "u1#replaced#id-1".into(),
        old: Box::new(old),
    };
    st.complete("u1", replaced).unwrap();
    assert_headers_match(&st);
    let summary = st.load_summary().unwrap().unwrap();
    assert!(summary.headers[1].1.pending_delete, "{summary:?}");
    assert_eq!(summary.headers[0].1.declared, Some([9; 16]));

    st.begin(&op("u1#replaced#id-1")).unwrap();
    st.complete("u1#replaced#id-1", Completion::Remove).unwrap();
    assert_headers_match(&st);

    st.begin(&op("u3")).unwrap();
    let renamed = Completion::StateEdit {
        remove: "u3".into(),
        records: vec![("u4".into(), record("u4")), ("u1".into(), record("u1"))],
    };
    st.complete("u3", renamed).unwrap();
    assert_headers_match(&st);
    let keys: Vec<String> = st
        .load_summary()
        .unwrap()
        .unwrap()
        .headers
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(keys, ["u1", "u4"]);

    let mut imported = StackState::default();
    imported.resources.insert("u5".into(), stamped("u5", 5));
    imported.resources.insert("u6".into(), record("u6"));
    st.replace_all(&imported).unwrap();
    assert_headers_match(&st);
    assert_eq!(st.load_summary().unwrap().unwrap().headers.len(), 2);
}

#[test]
fn async_write_paths_keep_one_header_per_record() {
    let dir = tempfile::tempdir().unwrap();
    let (_backend, st) = open_dev(dir.path());
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        st.put_record_async("u1", Some(&stamped("u1", 1)))
            .await
            .unwrap();
        st.begin_async(&op("u2")).await.unwrap();
        st.complete_async("u2", Completion::Put(record("u2")))
            .await
            .unwrap();
        st.put_record_async("u1", None).await.unwrap();
    });
    assert_headers_match(&st);
    assert_eq!(st.load_summary().unwrap().unwrap().headers.len(), 1);
}

/// Turns the state at `dir` (written by this build) into what the format-2
/// build wrote: the same compact values without their headers (nor
/// stamps), marker "2".
fn make_format_2(dir: &Path) {
    let db = sled::open(dir).unwrap();
    db.insert(FORMAT_KEY, b"2").unwrap();
    for name in db.tree_names() {
        let tree = db.open_tree(name).unwrap();
        for item in tree.scan_prefix(b"r/") {
            let (k, v) = item.unwrap();
            if let Some(headed) = split(&v).unwrap() {
                tree.insert(k, headed.body).unwrap();
            }
        }
    }
    db.flush().unwrap();
}

#[test]
fn a_format_2_state_gains_every_header_with_its_first_write() {
    let dir = tempfile::tempdir().unwrap();
    {
        let backend = SledBackend::open(dir.path(), "t").unwrap();
        for stack in ["dev", "prod"] {
            let st = backend.stack(stack).unwrap();
            st.put_record("u1", Some(&stamped("u1", 1))).unwrap();
            st.put_record("u2", Some(&record("u2"))).unwrap();
        }
    }
    make_format_2(dir.path());

    let (backend, st) = open_dev(dir.path());
    assert_eq!(st.load_summary().unwrap(), None, "no headers to read");
    assert_eq!(st.load().unwrap().resources.len(), 2);
    assert_eq!(marker(&backend), b"2", "reading does not upgrade");

    st.begin(&op("u3")).unwrap();
    assert_eq!(marker(&backend), SLED_FORMAT.to_string().as_bytes());
    assert_headers_match(&st);
    assert_eq!(st.load_summary().unwrap().unwrap().headers.len(), 2);
    // Every stack of the database, not only the one written to.
    assert_headers_match(&backend.stack("prod").unwrap());
    drop((st, backend));
    let (_backend, st) = open_dev(dir.path());
    assert_headers_match(&st);
}

#[test]
fn a_format_1_state_gains_its_headers_with_the_marker() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (_backend, st) = open_dev(dir.path());
        st.put_record("u1", Some(&stamped("u1", 1))).unwrap();
    }
    make_format_2(dir.path());
    {
        // A record as format 1 stored it: plain JSON.
        let db = sled::open(dir.path()).unwrap();
        db.insert(FORMAT_KEY, b"1").unwrap();
        let plain = serde_json::to_vec(&stamped("u2", 2)).unwrap();
        db.open_tree("stack/dev")
            .unwrap()
            .insert("r/u2", plain)
            .unwrap();
        db.flush().unwrap();
    }
    let (_backend, st) = open_dev(dir.path());
    st.put_outputs(&BTreeMap::new()).unwrap();
    assert_headers_match(&st);
    let summary = st.load_summary().unwrap().unwrap();
    assert_eq!(summary.headers.len(), 2);
    // An older format kept no stamps.
    assert!(summary.headers.iter().all(|(_, h)| h.declared.is_none()));
}

#[test]
fn a_summary_reads_what_load_reads_but_the_records() {
    let dir = tempfile::tempdir().unwrap();
    let (_backend, st) = open_dev(dir.path());
    st.put_record("u1", Some(&record("u1"))).unwrap();
    st.begin(&op("u2")).unwrap();
    st.begin(&op("u0")).unwrap();
    let outputs = BTreeMap::from([("url".to_string(), serde_json::json!("https://x"))]);
    st.put_outputs(&outputs).unwrap();
    st.reserve_sequence(7).unwrap();

    let summary = st.load_summary().unwrap().unwrap();
    let loaded = st.load().unwrap();
    assert_eq!(summary.pending, loaded.pending);
    assert_eq!(summary.outputs, loaded.outputs);
    assert_eq!(summary.next_sequence, loaded.next_sequence);
    assert_eq!(
        (
            summary.pending.len(),
            summary.outputs.len(),
            summary.next_sequence
        ),
        (2, 1, 7)
    );
    assert_eq!(
        summary.headers,
        [("u1".to_string(), RecordHeader::of(&record("u1")))]
    );
}

/// Stack `dev` at `dir` with the records `u1`, `u2`, `u3`, stamped.
fn three_stamped_records(dir: &Path) -> (SledBackend, SledState) {
    let (backend, st) = open_dev(dir);
    for urn in ["u1", "u2", "u3"] {
        st.put_record(urn, Some(&stamped(urn, 1))).unwrap();
    }
    (backend, st)
}

#[test]
fn get_records_reads_the_keys_asked_for_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let (_backend, st) = three_stamped_records(dir.path());
    let got = st.get_records(&["u3", "missing", "u1"]).unwrap();
    assert_eq!(got, [Some(stamped("u3", 1)), None, Some(stamped("u1", 1))]);
    assert!(st.get_records(&[]).unwrap().is_empty());
}

#[test]
fn records_round_trip_with_their_headers_and_stamps() {
    for (pending_delete, stamp) in [
        (false, None),
        (true, None),
        (false, Some(4)),
        (true, Some(5)),
    ] {
        let mut rec = record("u1");
        rec.pending_delete = pending_delete;
        if let Some(d) = stamp {
            rec.stamp(&[d; 16]);
        }
        let bytes = encode_record(&rec);
        assert_eq!(decode_header(&bytes), Ok(RecordHeader::of(&rec)));
        assert_eq!(decode_record(&bytes).unwrap(), rec);
        assert_eq!(RecordHeader::of(&rec).declared, stamp.map(|d| [d; 16]));
    }
    // A stamp that no longer holds is not stored.
    let mut changed = stamped("u1", 1);
    changed.region = "elsewhere".into();
    let back = decode_record(&encode_record(&changed)).unwrap();
    assert_eq!(back.plan_stamp, None);
}

#[test]
fn a_damaged_header_is_an_error_naming_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let (_backend, st) = open_dev(dir.path());
    st.put_record("u1", Some(&stamped("u1", 1))).unwrap();
    let good = raw_value(&st, "r/u1");
    let mut unknown_flag = good.clone();
    unknown_flag[1] |= 0x80;
    let damaged = [
        (good[..20].to_vec(), "a header of 20 bytes (expected 42)"),
        (unknown_flag, "unknown header flags 0x82"),
        (vec![3], "a header of 1 bytes"),
    ];
    for (bytes, detail) in damaged {
        st.tree.insert("r/u1", bytes).unwrap();
        for err in [
            st.load_summary().expect_err("a damaged header is refused"),
            st.load().expect_err("and so is its record"),
        ] {
            assert!(matches!(err, StateError::Corrupt { .. }), "{err}");
            let text = err.to_string();
            assert!(text.contains(&format!("entry r/u1: {detail}")), "{text}");
        }
    }
}

#[test]
fn the_header_check_finds_a_wrong_or_missing_header() {
    let dir = tempfile::tempdir().unwrap();
    let (_backend, st) = three_stamped_records(dir.path());
    assert_eq!(st.check_headers().unwrap(), []);
    // Another outputs digest than the record's.
    let mut wrong = raw_value(&st, "r/u1");
    wrong[2] ^= 0xff;
    st.tree.insert("r/u1", wrong).unwrap();
    // The record as format 2 stored it.
    let plain = raw_value(&st, "r/u2");
    let body = split(&plain).unwrap().expect("a header").body;
    st.tree.insert("r/u2", body).unwrap();
    let problems = st.check_headers().unwrap();
    let found: Vec<(&str, &str)> = problems
        .iter()
        .map(|p| (p.key.as_str(), p.detail.as_str()))
        .collect();
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found[0].1.contains("disagrees with the record"),
        "{found:?}"
    );
    assert_eq!(found[1], ("u2", "the record has no header"));
}

#[test]
fn an_upgrade_meeting_a_damaged_record_writes_nothing_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    drop(three_stamped_records(dir.path()));
    make_format_2(dir.path());
    let (backend, st) = open_dev(dir.path());
    st.tree.insert("r/u2", &[0x7fu8, 1][..]).unwrap();
    let err = st
        .put_record("u4", Some(&record("u4")))
        .expect_err("refused");
    assert!(matches!(err, StateError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("entry r/u2"), "{err}");
    assert_eq!(marker(&backend), b"2");
    let u1 = raw_value(&st, "r/u1");
    assert_eq!(split(&u1).unwrap(), None, "no header written");
    assert!(st.tree.get("r/u4").unwrap().is_none());
}
