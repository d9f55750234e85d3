//! Release signatures (`edgegate_publish::minisign`) against the reference implementation, the
//! `minisign` binary (Debian's package; `tests/standins/standins.sh install` installs it): keys
//! it generates load, what edgegate signs `minisign -V` verifies (also with `-H`, prehashed
//! only), what `minisign -S` signs edgegate verifies (prehashed and legacy `-l`), and an altered
//! file, trusted comment or key is refused by both.

use edgegate_e2e::TempDir;
use edgegate_publish::minisign::{MinisignError, PublicKey, SecretKey};
use std::path::Path;
use std::process::{Command, Output};

fn minisign(args: &[&str], dir: &Path) -> Output {
    Command::new("minisign")
        .args(args)
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap_or_else(|e| {
            panic!("running `minisign` ({e}): install Debian's minisign (tests/standins/standins.sh install does)")
        })
}

fn ok(out: &Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A key pair made by `minisign -G -W` (unencrypted) in `dir`: (secret, public) file texts.
fn generated(dir: &Path) -> (String, String) {
    ok(
        &minisign(&["-G", "-W", "-f", "-p", "key.pub", "-s", "key.sec"], dir),
        "minisign -G",
    );
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    (read("key.sec"), read("key.pub"))
}

const MANIFEST: &[u8] = b"{\n  \"format\": 1,\n  \"version\": \"1.0.0\",\n  \"files\": []\n}\n";

#[test]
fn minisign_verifies_what_edgegate_signs_with_a_key_minisign_made() {
    let tmp = TempDir::new("minisign-ours");
    let dir = tmp.path();
    let (sec, public) = generated(dir);
    let sk = SecretKey::parse(&sec).expect("minisign's unencrypted secret key loads");
    let pk = PublicKey::parse(&public).unwrap();
    assert_eq!(
        sk.public_key(),
        pk,
        "the secret key's public half is minisign's public key"
    );
    std::fs::write(dir.join("manifest.json"), MANIFEST).unwrap();
    let comment = "edgegate release 1.0.0 sha256 of manifest: 0123";
    std::fs::write(
        dir.join("manifest.json.minisig"),
        sk.sign(MANIFEST, comment),
    )
    .unwrap();
    for extra in [&[][..], &["-H"][..]] {
        let mut args = vec!["-V", "-p", "key.pub", "-m", "manifest.json"];
        args.extend_from_slice(extra);
        let out = ok(&minisign(&args, dir), "minisign -V");
        assert!(
            out.contains(&format!("Trusted comment: {comment}")),
            "{out}"
        );
    }
    // An altered manifest, or an altered trusted comment, fails in minisign too.
    std::fs::write(dir.join("manifest.json"), b"{}\n").unwrap();
    assert!(
        !minisign(&["-V", "-p", "key.pub", "-m", "manifest.json"], dir)
            .status
            .success()
    );
    std::fs::write(dir.join("manifest.json"), MANIFEST).unwrap();
    let sig = std::fs::read_to_string(dir.join("manifest.json.minisig")).unwrap();
    std::fs::write(
        dir.join("manifest.json.minisig"),
        sig.replace("release 1.0.0", "release 6.6.6"),
    )
    .unwrap();
    assert!(
        !minisign(&["-V", "-p", "key.pub", "-m", "manifest.json"], dir)
            .status
            .success()
    );
}

#[test]
fn edgegate_verifies_what_minisign_signs_prehashed_and_legacy() {
    let tmp = TempDir::new("minisign-theirs");
    let dir = tmp.path();
    let (_, public) = generated(dir);
    let pk = PublicKey::parse(&public).unwrap();
    std::fs::write(dir.join("manifest.json"), MANIFEST).unwrap();
    for (flags, label) in [(&[][..], "prehashed"), (&["-l"][..], "legacy")] {
        let mut args = vec![
            "-S",
            "-s",
            "key.sec",
            "-m",
            "manifest.json",
            "-t",
            "their comment",
        ];
        args.extend_from_slice(flags);
        ok(&minisign(&args, dir), "minisign -S");
        let sig = std::fs::read_to_string(dir.join("manifest.json.minisig")).unwrap();
        let v = pk
            .verify(MANIFEST, &sig)
            .unwrap_or_else(|e| panic!("{label}: {e}"));
        assert_eq!(v.trusted_comment, "their comment", "{label}");
        assert_eq!(v.key_id, pk.key_id());
        assert_eq!(
            pk.verify(b"{}\n", &sig),
            Err(MinisignError::BadSignature),
            "{label}: another file"
        );
        assert_eq!(
            pk.verify(MANIFEST, &sig.replace("their comment", "our comment")),
            Err(MinisignError::BadTrustedComment),
            "{label}: another trusted comment"
        );
    }
    // Another key pair: its public key is refused by key id.
    let other = TempDir::new("minisign-other");
    let (_, other_public) = generated(other.path());
    let sig = std::fs::read_to_string(dir.join("manifest.json.minisig")).unwrap();
    assert!(matches!(
        PublicKey::parse(&other_public)
            .unwrap()
            .verify(MANIFEST, &sig),
        Err(MinisignError::OtherKey { .. })
    ));
}

#[test]
fn damaged_or_password_protected_secret_keys_are_refused_by_name() {
    let tmp = TempDir::new("minisign-keys");
    let (sec, _) = generated(tmp.path());
    let line = sec.lines().nth(1).unwrap();
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut bytes = b64.decode(line).unwrap();
    // The KDF field says scrypt: a password-protected key.
    let mut encrypted = bytes.clone();
    encrypted[2..4].copy_from_slice(b"Sc");
    let text = format!("untrusted comment: x\n{}\n", b64.encode(&encrypted));
    assert_eq!(
        SecretKey::parse(&text).unwrap_err(),
        MinisignError::EncryptedSecretKey
    );
    // One bit of the seed flipped: the checksum, or (minisign 0.11 leaves it zero) the public
    // half that no longer matches, catches it.
    bytes[70] ^= 1;
    let text = format!("untrusted comment: x\n{}\n", b64.encode(&bytes));
    assert_eq!(
        SecretKey::parse(&text).unwrap_err(),
        MinisignError::SecretKeyChecksum
    );
    assert!(!format!("{:?}", SecretKey::parse(&sec).unwrap()).contains(line));
}
