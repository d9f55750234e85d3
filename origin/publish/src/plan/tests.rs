//! The plan's own tests: new, resumed, identical, changed, damaged and unreadable releases,
//! with and without `--force`, and the warnings.

use super::*;
use crate::settings::{Bucket, DistributionId};

fn digest(b: u8) -> Sha256 {
    Sha256([b; 32])
}

fn local(path: &str, size: u64, d: u8) -> LocalFile {
    LocalFile {
        path: path.into(),
        source: PathBuf::from("/src").join(path),
        size,
        modified: None,
        sha256: digest(d),
        part_sha256: Vec::new(),
    }
}

fn target(dist: bool) -> Target {
    Target {
        bucket: Bucket::parse("bucket").unwrap(),
        prefix: Prefix::parse("releases/").unwrap(),
        distribution_id: dist.then(|| DistributionId::parse("EDIST1").unwrap()),
    }
}

fn input(files: Vec<LocalFile>, remote: RemoteState) -> PlanInput {
    PlanInput {
        target: target(true),
        version: Version::parse("1.0.0").unwrap(),
        files,
        remote,
        force: false,
        git_commit: None,
        channel: None,
        now: 1_700_000_000,
    }
}

fn empty_remote() -> RemoteState {
    RemoteState {
        manifest: RemoteManifest::Absent,
        objects: BTreeMap::new(),
    }
}

fn obj(size: u64, d: Option<u8>) -> RemoteObject {
    RemoteObject {
        size,
        sha256: d.map(|d| digest(d).hex()),
    }
}

fn complete_remote(files: &[LocalFile]) -> RemoteState {
    let p = plan(input(files.to_vec(), empty_remote())).unwrap();
    let manifest = Manifest::parse(&p.manifest.unwrap().body).unwrap();
    let mut objects: BTreeMap<String, RemoteObject> = files
        .iter()
        .map(|f| {
            (
                format!("releases/1.0.0/{}", f.path),
                RemoteObject {
                    size: f.size,
                    sha256: Some(f.sha256.hex()),
                },
            )
        })
        .collect();
    objects.insert("releases/1.0.0/manifest.json".into(), obj(100, None));
    RemoteState {
        manifest: RemoteManifest::Present(manifest),
        objects,
    }
}

#[test]
fn new_release_uploads_everything_and_writes_manifest_ok() {
    let mut i = input(
        vec![local("a.txt", 3, 1), local("big.bin", 20 * MIB, 2)],
        empty_remote(),
    );
    i.git_commit = Some(GitCommit::parse("abc123").unwrap());
    i.channel = Some(ChannelName::parse("stable").unwrap());
    let p = plan(i).unwrap();
    assert_eq!(p.state, ReleaseState::New);
    assert_eq!(p.files[0].file.path, "big.bin", "largest first");
    assert!(matches!(p.files[0].transfer, Transfer::Multipart { .. }));
    assert_eq!(p.files[1].content_type, "text/plain");
    assert!(p.files.iter().all(|f| f.action == FileAction::Upload));
    assert!(p.deletes.is_empty() && !p.delete_manifest_first);
    assert_eq!(p.invalidate_release, None);
    let m = p.manifest.as_ref().unwrap();
    assert_eq!(m.key, "releases/1.0.0/manifest.json");
    let parsed = Manifest::parse(&m.body).unwrap();
    assert_eq!(parsed.git_commit.as_deref(), Some("abc123"));
    assert_eq!(parsed.published_at, "2023-11-14T22:13:20Z");
    assert_eq!(parsed.files[0].path, "a.txt", "sorted by path");
    let c = p.channel.unwrap();
    assert_eq!(c.object.key, "releases/channels/stable.json");
    assert_eq!(
        c.invalidation_paths,
        [
            "/releases/channels/stable.json",
            "/releases/channels/stable/*"
        ]
    );
    // One link per file of the release, each naming the versioned URL of the same file.
    assert_eq!(c.links_prefix, "releases/channels/stable/");
    let mut links: Vec<(&str, &str)> = c
        .links
        .iter()
        .map(|l| (l.key.as_str(), l.location.as_str()))
        .collect();
    links.sort_unstable();
    let mut expected: Vec<(String, String)> = p
        .files
        .iter()
        .map(|f| {
            (
                format!("releases/channels/stable/{}", f.file.path),
                format!("/releases/1.0.0/{}", f.file.path),
            )
        })
        .collect();
    expected.sort_unstable();
    let expected: Vec<(&str, &str)> = expected
        .iter()
        .map(|(k, l)| (k.as_str(), l.as_str()))
        .collect();
    assert_eq!(links, expected);
    assert!(!links.is_empty());
    assert_eq!(c.object.cache_control, CHANNEL_CACHE_CONTROL);
    let pointer = ChannelPointer::parse(&c.object.body).unwrap();
    assert_eq!(pointer.version, "1.0.0");
    assert_eq!(pointer.manifest, "/releases/1.0.0/manifest.json");
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
}

#[test]
fn incomplete_release_resumes_skipping_same_sha_ok() {
    let mut remote = empty_remote();
    remote
        .objects
        .insert("releases/1.0.0/a.txt".into(), obj(3, Some(1)));
    remote
        .objects
        .insert("releases/1.0.0/b.txt".into(), obj(3, Some(9)));
    remote
        .objects
        .insert("releases/1.0.0/stale.txt".into(), obj(1, None));
    let p = plan(input(
        vec![
            local("a.txt", 3, 1),
            local("b.txt", 3, 2),
            local("c.txt", 3, 3),
        ],
        remote,
    ))
    .unwrap();
    assert_eq!(p.state, ReleaseState::Incomplete);
    let action = |path: &str| p.files.iter().find(|f| f.file.path == path).unwrap().action;
    assert_eq!(action("a.txt"), FileAction::Skip);
    assert_eq!(action("b.txt"), FileAction::Replace);
    assert_eq!(action("c.txt"), FileAction::Upload);
    assert_eq!(p.deletes, vec!["releases/1.0.0/stale.txt".to_string()]);
    assert!(p.manifest.is_some());
    assert!(p
        .warnings
        .iter()
        .any(|w| w.contains("changed locally") && w.contains("b.txt")));
    assert_eq!(p.upload_bytes(), 6);
}

#[test]
fn identical_complete_release_is_noop_ok() {
    let files = vec![local("a.txt", 3, 1), local("b.txt", 4, 2)];
    let mut i = input(files.clone(), complete_remote(&files));
    i.channel = Some(ChannelName::parse("beta").unwrap());
    let p = plan(i).unwrap();
    assert_eq!(p.state, ReleaseState::Identical);
    assert_eq!(p.uploads().count(), 0);
    assert!(p.manifest.is_none() && p.deletes.is_empty());
    assert!(p.channel.is_some(), "a complete release may be pointed to");
}

#[test]
fn changed_complete_release_fails_without_force() {
    let files = vec![local("a.txt", 3, 1), local("b.txt", 4, 2)];
    let remote = complete_remote(&files);
    let changed = vec![local("a.txt", 3, 7), local("c.txt", 1, 3)];
    let e = plan(input(changed, remote)).unwrap_err();
    let PlanError::Changed { differences, .. } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(
        differences,
        &["changed: a.txt", "added: c.txt", "removed: b.txt"]
    );
    assert!(e.to_string().contains("immutable"));
}

#[test]
fn changed_complete_release_with_force_replaces_ok() {
    let files = vec![local("a.txt", 3, 1), local("b.txt", 4, 2)];
    let remote = complete_remote(&files);
    let mut i = input(vec![local("a.txt", 3, 7)], remote);
    i.force = true;
    let p = plan(i).unwrap();
    assert_eq!(p.state, ReleaseState::Replaced);
    assert!(p.delete_manifest_first);
    assert_eq!(p.deletes, vec!["releases/1.0.0/b.txt".to_string()]);
    assert_eq!(p.invalidate_release.as_deref(), Some("/releases/1.0.0/*"));
    assert_eq!(p.files[0].action, FileAction::Replace);
    assert!(p.warnings.iter().any(|w| w.contains("--force")));
}

#[test]
fn damaged_complete_release_fails_without_force() {
    let files = vec![local("a.txt", 3, 1)];
    let mut remote = complete_remote(&files);
    remote.objects.remove("releases/1.0.0/a.txt");
    let e = plan(input(files.clone(), remote.clone())).unwrap_err();
    assert!(matches!(e, PlanError::Damaged { .. }), "{e:?}");
    let mut i = input(files, remote);
    i.force = true;
    let p = plan(i).unwrap();
    assert_eq!(p.state, ReleaseState::Replaced);
    assert_eq!(p.files[0].action, FileAction::Upload);
}

#[test]
fn unreadable_manifest_fails_without_force() {
    let mut remote = empty_remote();
    remote.manifest = RemoteManifest::Unreadable("bad json".into());
    remote
        .objects
        .insert("releases/1.0.0/manifest.json".into(), obj(3, None));
    let e = plan(input(vec![local("a", 1, 1)], remote)).unwrap_err();
    assert!(matches!(e, PlanError::UnreadableManifest { .. }));
}

#[test]
fn empty_folder_fails() {
    assert!(matches!(
        plan(input(Vec::new(), empty_remote())),
        Err(PlanError::Empty(_))
    ));
}

#[test]
fn no_distribution_warns_for_channel() {
    let mut i = input(vec![local("a", 1, 1)], empty_remote());
    i.target = target(false);
    i.channel = Some(ChannelName::parse("stable").unwrap());
    let p = plan(i).unwrap();
    assert!(p.warnings.iter().any(|w| w.contains("not invalidated")));
}
