//! The committed throwaway test keys of `tests/kit/keys/` (PEM text, compiled in).
//!
//! **Never trust these keys anywhere**: see `tests/kit/keys/README.md` for what each one is and
//! which tests use it. The constants cover the keys tests name directly; [`pem`] reaches every
//! file by name and [`path`] gives the file itself (for tools run as separate processes).

use std::path::PathBuf;

macro_rules! keys {
    ($($(#[doc = $doc:literal])* $name:ident = $file:literal;)*) => {
        $(
            $(#[doc = $doc])*
            pub const $name: &str = include_str!(concat!("../keys/", $file));
        )*

        /// Every key file as `(file name, PEM text)`.
        pub const ALL: &[(&str, &str)] = &[$(($file, $name)),*];
    };
}

keys! {
    /// RSA-2048 test Cognito pool key (`kid` `edgegate-test-1`), private half.
    COGNITO_TEST_PRIVATE = "cognito-test-private.pem";
    /// RSA-2048 test Cognito pool key, public half.
    COGNITO_TEST_PUBLIC = "cognito-test-public.pem";
    /// RSA-2048 trusted CloudFront key `KTESTRSA000001`, private half.
    CLOUDFRONT_RSA_TEST_PRIVATE = "cloudfront-rsa-test-private.pem";
    /// RSA-2048 trusted CloudFront key `KTESTRSA000001`, public half.
    CLOUDFRONT_RSA_TEST_PUBLIC = "cloudfront-rsa-test-public.pem";
    /// ECDSA P-256 trusted CloudFront key `KTESTEC0000001`, private half.
    CLOUDFRONT_EC_TEST_PRIVATE = "cloudfront-ec-test-private.pem";
    /// ECDSA P-256 trusted CloudFront key `KTESTEC0000001`, public half.
    CLOUDFRONT_EC_TEST_PUBLIC = "cloudfront-ec-test-public.pem";
    /// RSA-2048 `edgegate-keys` test key A.
    RSA2048_A = "rsa2048_a.pem";
    /// RSA-2048 `edgegate-keys` test key B.
    RSA2048_B = "rsa2048_b.pem";
    /// RSA-2048 key no test trusts.
    RSA2048_ATTACKER = "rsa2048_attacker.pem";
    /// RSA-4096 (upper size bound).
    RSA4096 = "rsa4096.pem";
    /// ECDSA P-256 `edgegate-keys` test key A.
    EC_P256_A = "ec_p256_a.pem";
    /// ECDSA P-256 key no test trusts.
    EC_P256_B = "ec_p256_b.pem";
    /// RSA-2048 end-to-end key `KRSAE2ETEST01`, private half.
    RSA_2048_PRIVATE = "rsa-2048-private.pem";
    /// RSA-2048 end-to-end key `KRSAE2ETEST01`, public half.
    RSA_2048_PUBLIC = "rsa-2048-public.pem";
    /// RSA-2048 end-to-end key `KRSAE2EOTHER01`, private half.
    RSA_2048_OTHER_PRIVATE = "rsa-2048-other-private.pem";
    /// RSA-2048 end-to-end key `KRSAE2EOTHER01`, public half.
    RSA_2048_OTHER_PUBLIC = "rsa-2048-other-public.pem";
    /// ECDSA P-256 end-to-end key `KECE2ETEST01`, private half.
    EC_P256_PRIVATE = "ec-p256-private.pem";
    /// ECDSA P-256 end-to-end key `KECE2ETEST01`, public half.
    EC_P256_PUBLIC = "ec-p256-public.pem";
    /// ECDSA P-256 end-to-end key no test trusts, private half.
    EC_P256_OTHER_PRIVATE = "ec-p256-other-private.pem";
    /// ECDSA P-256 end-to-end key no test trusts, public half.
    EC_P256_OTHER_PUBLIC = "ec-p256-other-public.pem";
}

/// The PEM text of key file `file` (e.g. `"rsa2048_a.pem"`). Panics on an unknown name.
pub fn pem(file: &str) -> &'static str {
    ALL.iter()
        .find(|(name, _)| *name == file)
        .map(|(_, text)| *text)
        .unwrap_or_else(|| panic!("no test key {file:?} in tests/kit/keys"))
}

/// The folder holding the keys (`tests/kit/keys`).
pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("keys")
}

/// The path of key file `file`, for tools that read a key from disk. Panics if it is missing.
pub fn path(file: &str) -> PathBuf {
    let path = dir().join(file);
    assert!(path.is_file(), "no test key {}", path.display());
    path
}

/// A committed data file of the key folder other than a key (e.g. `rejected_rsa_moduli.json`).
pub fn read(file: &str) -> String {
    let path = dir().join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pem_file_is_listed_once_and_is_a_pem() {
        let mut on_disk: Vec<String> = std::fs::read_dir(dir())
            .expect("tests/kit/keys")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".pem"))
            .collect();
        on_disk.sort();
        let mut listed: Vec<String> = ALL.iter().map(|(n, _)| n.to_string()).collect();
        listed.sort();
        assert_eq!(listed, on_disk);
        for (name, text) in ALL {
            assert!(text.starts_with("-----BEGIN "), "{name}");
            assert_eq!(pem(name), *text);
            assert!(path(name).is_file());
        }
    }
}
