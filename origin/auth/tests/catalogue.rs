//! Catalogue cases for the auth function's own encodings (tests/catalogue.md): a sign-in the
//! function starts must be one it can finish (CB-14: the `state` it mints stays within the size it
//! accepts back, whatever same-site return path it carries).

use edgegate_auth::return_to;
use edgegate_auth::state::{self, FlowState, MAX_STATE_BYTES};

const KEY: &[u8] = b"catalogue-test-state-key-32-bytes";

fn state_for(return_to: &str) -> String {
    state::encode(
        &FlowState {
            flow_id: "AAAAAAAAAAAAAAAA".to_string(),
            issued_at: 1_767_225_600,
            return_to: return_to.to_string(),
            restarts: 1,
        },
        KEY,
    )
}

#[test]
fn every_accepted_return_path_fits_in_a_state_the_callback_accepts() {
    // The longest accepted return path, made of each printable ASCII character in turn (in the
    // path and in the query), so any character that grows when encoded into the state shows up.
    for byte in 0x21u8..=0x7e {
        let c = char::from(byte);
        for prefix in ["/a", "/a?x="] {
            let target = format!(
                "{prefix}{}",
                c.to_string()
                    .repeat(return_to::MAX_RETURN_TO - prefix.len())
            );
            let kept = return_to::sanitize(Some(&target));
            let minted = state_for(&kept);
            assert!(
                minted.len() <= MAX_STATE_BYTES,
                "{c:?} after {prefix:?}: return path kept ({} bytes) but its state is {} bytes",
                kept.len(),
                minted.len()
            );
            let back = state::decode(&minted, KEY, 1_767_225_600, 600).expect("state decodes");
            assert_eq!(back.return_to, kept);
        }
    }
}

#[test]
fn characters_outside_uri_syntax_never_survive_as_a_return_path() {
    // A browser always percent-encodes these (path and query); raw, they only come from a
    // crafted link, and a raw `"` doubles inside the state's JSON.
    for raw in ["/a\"b", "/a?x=\"", "/a<b", "/a?x=<script>", "/a>b", "/a\\b"] {
        assert_eq!(return_to::sanitize(Some(raw)), "/", "{raw:?}");
    }
}
