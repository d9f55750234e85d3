//! `edgegate stack params` against the example configuration and the templates in
//! `infra/cloudformation/`: every stack rendered, keys in template order, the parameter file
//! format, the bootstrap order, and each refusal.

use super::command::read_doc;
use super::*;
use edgegate_edge::ConfigDocument;
use edgegate_keys::PublicKey;
use std::path::{Path, PathBuf};

const SHA_EDGE: &str = "1111111111111111111111111111111111111111111111111111111111111111";
const SHA_ORIGIN: &str = "2222222222222222222222222222222222222222222222222222222222222222";

fn example_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../cloudformation/example")
}

fn example_doc() -> ConfigDocument {
    read_doc(&example_dir().join("edgegate.toml")).unwrap()
}

fn slot_pem(file: &str) -> String {
    std::fs::read_to_string(example_dir().join(file)).unwrap()
}

fn describe(stack: &str, outputs: &[(&str, &str)]) -> StackOutputs {
    let json = serde_json::json!({ "Stacks": [{
        "StackName": stack,
        "Outputs": outputs.iter().map(|(k, v)| serde_json::json!({"OutputKey": k, "OutputValue": v})).collect::<Vec<_>>(),
    }]});
    StackOutputs::parse_describe_stacks(&json.to_string(), "test")
        .unwrap()
        .remove(0)
}

fn identity_outputs() -> StackOutputs {
    describe(
        "downloads-identity",
        &[
            ("UserPoolId", "eu-west-1_AbCdEf123"),
            ("AppClientId", "1example23456789"),
            ("HostedUiBaseUrl", "https://downloads-example.auth.eu-west-1.amazoncognito.com"),
            ("PublicKeyIdA", "K2JCJMDEHXQW5F"),
            ("CloudFrontPrivateKeySecretArnA", "arn:aws:secretsmanager:eu-west-1:111122223333:secret:downloads/cloudfront-private-key-a-AbCdEf"),
            ("StateKeySecretArn", "arn:aws:secretsmanager:eu-west-1:111122223333:secret:downloads/state-hmac-key-GhIjKl"),
            ("ClientSecretArn", "arn:aws:secretsmanager:eu-west-1:111122223333:secret:downloads/cognito-client-secret-MnOpQr"),
            ("KeyGroupId", "8a2a4a72-0000-0000-0000-000000000000"),
        ],
    )
}

fn edge_outputs(sha: &str) -> StackOutputs {
    describe(
        "downloads-edge",
        &[
            (
                "EdgeFunctionVersionArn",
                "arn:aws:lambda:us-east-1:111122223333:function:downloads-viewer-request:7",
            ),
            (
                "CertificateArn",
                "arn:aws:acm:us-east-1:111122223333:certificate/0a1b2c3d-0000-4000-8000-000000000000",
            ),
            ("BundleSha256", sha),
        ],
    )
}

fn full_inputs() -> Inputs {
    Inputs {
        slot_pems: (Some(slot_pem("cloudfront-a.pem")), None),
        bundle_sha256: Some(SHA_EDGE.into()),
        origin_bundle_sha256: Some(SHA_ORIGIN.into()),
        outputs: vec![
            identity_outputs(),
            edge_outputs(SHA_EDGE),
            describe("downloads-origin", &[("DistributionId", "E2EXAMPLE123")]),
        ],
        validated: true,
    }
}

/// The parameters a template declares, and those without a Default (read from its text).
fn template_parameters(kind: StackKind) -> (Vec<String>, Vec<String>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../cloudformation")
        .join(format!("{}.yaml", kind.name()));
    let text = std::fs::read_to_string(path).unwrap();
    let mut all = Vec::new();
    let mut required = Vec::new();
    let mut in_params = false;
    let mut current: Option<(String, bool)> = None;
    for line in text.lines() {
        if !line.starts_with(' ') && !line.is_empty() && !line.starts_with('#') {
            in_params = line == "Parameters:";
            continue;
        }
        if !in_params {
            continue;
        }
        if let Some(name) = line.strip_prefix("  ").and_then(|l| l.strip_suffix(':')) {
            if !name.starts_with(' ') {
                if let Some((n, has_default)) = current.take() {
                    if !has_default {
                        required.push(n);
                    }
                }
                all.push(name.to_string());
                current = Some((name.to_string(), false));
                continue;
            }
        }
        if line.trim_start().starts_with("Default:") {
            if let Some(c) = current.as_mut() {
                c.1 = true;
            }
        }
    }
    if let Some((n, false)) = current {
        required.push(n);
    }
    (all, required)
}

#[test]
fn example_config_renders_every_stack_with_derived_values_ok() {
    let r = render(&example_doc(), &full_inputs()).unwrap();
    let kinds: Vec<_> = r.files.iter().map(|f| f.kind).collect();
    assert_eq!(
        kinds,
        [
            StackKind::Artifacts,
            StackKind::Identity,
            StackKind::Edge,
            StackKind::Origin
        ]
    );
    let file = |k: StackKind| r.files.iter().find(|f| f.kind == k).unwrap();

    let artifacts = file(StackKind::Artifacts);
    assert_eq!(artifacts.stack_name, "downloads-artifacts");
    assert_eq!(artifacts.regions, ["us-east-1", "eu-west-1"]);

    let identity = file(StackKind::Identity);
    assert_eq!(identity.regions, ["eu-west-1"]);
    assert_eq!(identity.get("SiteDomain"), Some("downloads.example.com"));
    // Groups of every groups route, deduplicated and sorted; public/signed routes add none.
    assert_eq!(
        identity.get("GroupNames"),
        Some("downloaders,release-engineers")
    );
    assert_eq!(
        identity.get("HostedUiDomainPrefix"),
        Some("downloads-example")
    );
    assert_eq!(identity.get("IssuerType"), Some("ORIGINAL"));
    assert_eq!(identity.get("LogoutReturnPath"), Some("/"));
    assert_eq!(identity.get("OAuthScopes"), Some("openid,email"));
    assert_eq!(identity.get("GenerateClientSecret"), Some("true"));
    assert_eq!(identity.get("MfaConfiguration"), Some("OPTIONAL"));
    let pem = identity.get("PublicKeyA").unwrap();
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"));
    let key = PublicKey::from_spki_pem(pem).unwrap();
    assert_eq!(
        identity.get("PublicKeyAFingerprint").unwrap(),
        &key.fingerprint_hex()[..16]
    );
    assert_eq!(identity.get("PublicKeyB"), Some(""));
    assert_eq!(identity.get("PublicKeyBFingerprint"), Some(""));

    let edge = file(StackKind::Edge);
    assert_eq!(edge.regions, ["us-east-1"]);
    assert_eq!(edge.get("BundleSha256"), Some(SHA_EDGE));
    assert_eq!(edge.get("ArtifactsStackName"), Some("downloads-artifacts"));
    assert_eq!(edge.get("CertificateArn"), Some(""));
    assert_eq!(edge.get("HostedZoneId"), Some("Z0123456789ABCDEFGHIJ"));

    let origin = file(StackKind::Origin);
    assert_eq!(origin.regions, ["eu-west-1"]);
    assert_eq!(
        origin.get("EdgeFunctionVersionArn"),
        Some("arn:aws:lambda:us-east-1:111122223333:function:downloads-viewer-request:7")
    );
    assert!(origin
        .get("CertificateArn")
        .unwrap()
        .starts_with("arn:aws:acm:us-east-1:"));
    assert_eq!(origin.get("OriginBundleSha256"), Some(SHA_ORIGIN));
    assert_eq!(
        origin.get("CloudFrontPrivateKeySecretArn"),
        identity_outputs().get("CloudFrontPrivateKeySecretArnA")
    );
    assert_eq!(
        origin.get("StateKeySecretArn"),
        identity_outputs().get("StateKeySecretArn")
    );
    assert_eq!(
        origin.get("ClientSecretArn"),
        identity_outputs().get("ClientSecretArn")
    );
    assert_eq!(origin.get("PriceClass"), Some("PriceClass_100"));
    assert_eq!(origin.get("LogRetentionDays"), Some("30"));
    assert_eq!(origin.get("AccessLogRetentionDays"), Some("90"));
    assert_eq!(origin.get("AlarmTopicArn"), Some(""));
    assert_eq!(origin.get("ExistingTrailName"), Some(""));
    assert_eq!(edge.get("DistributionId"), Some("E2EXAMPLE123"));
    assert_eq!(edge.get("AlarmTopicArn"), Some(""));
    assert_eq!(edge.get("AdditionalMetrics"), Some("false"));
    assert!(r.notes.is_empty(), "{:?}", r.notes);
}

/// `[stack]` alarm topics and an existing trail reach the parameters of the stacks whose
/// alarms they serve; before the origin stack exists the edge stack's DistributionId is left
/// out with a note; a topic in the wrong region or a bad trail name names the field.
#[test]
fn alarm_topics_and_trail_reach_their_stacks_ok() {
    let origin_topic = "arn:aws:sns:eu-west-1:111122223333:ops";
    let edge_topic = "arn:aws:sns:us-east-1:111122223333:ops-edge";
    let mut doc = example_doc();
    let stack = doc.stack.as_mut().unwrap();
    stack.alarm_topic_arn = Some(origin_topic.into());
    stack.edge_alarm_topic_arn = Some(edge_topic.into());
    stack.existing_trail_name = Some("org-trail".into());
    stack.additional_metrics = Some(true);
    let r = render(&doc, &full_inputs()).unwrap();
    let get = |kind: StackKind, key: &str| {
        r.files
            .iter()
            .find(|f| f.kind == kind)
            .and_then(|f| f.get(key))
            .map(str::to_string)
    };
    assert_eq!(
        get(StackKind::Origin, "AlarmTopicArn").as_deref(),
        Some(origin_topic)
    );
    assert_eq!(
        get(StackKind::Edge, "AlarmTopicArn").as_deref(),
        Some(edge_topic)
    );
    assert_eq!(
        get(StackKind::Origin, "ExistingTrailName").as_deref(),
        Some("org-trail")
    );
    assert_eq!(
        get(StackKind::Edge, "AdditionalMetrics").as_deref(),
        Some("true")
    );

    // Without the origin stack's outputs: no DistributionId, and a note saying how to add it.
    let mut inputs = full_inputs();
    inputs.outputs.pop();
    let r = render(&doc, &inputs).unwrap();
    let edge = r.files.iter().find(|f| f.kind == StackKind::Edge).unwrap();
    assert_eq!(edge.get("DistributionId"), None);
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("DistributionId") && n.contains("downloads-origin")),
        "{:?}",
        r.notes
    );

    for (set, field) in [
        (
            (Some("arn:aws:sns:eu-west-1:111122223333:ops"), None, None),
            "stack.edge_alarm_topic_arn",
        ),
        (
            (None, None, Some("arn:aws:sqs:eu-west-1:111122223333:q")),
            "stack.alarm_topic_arn",
        ),
        ((None, Some("-trail"), None), "stack.existing_trail_name"),
    ] {
        let mut doc = example_doc();
        let stack = doc.stack.as_mut().unwrap();
        stack.edge_alarm_topic_arn = set.0.map(Into::into);
        stack.existing_trail_name = set.1.map(Into::into);
        stack.alarm_topic_arn = set.2.map(Into::into);
        let e = render(&doc, &full_inputs()).unwrap_err().one_line();
        assert!(e.contains(field), "{field}: {e}");
    }
}

#[test]
fn rendered_keys_match_each_template_parameters_ok() {
    let r = render(&example_doc(), &full_inputs()).unwrap();
    for f in &r.files {
        let (all, required) = template_parameters(f.kind);
        assert!(
            all.len() >= f.params.len() && !required.is_empty(),
            "{}",
            f.kind.name()
        );
        let keys: Vec<String> = f.params.iter().map(|(k, _)| k.to_string()).collect();
        // Every rendered key is a template parameter, in template order; the template's
        // other parameters have defaults (e.g. NoncurrentVersionDays).
        let in_template: Vec<String> = all.iter().filter(|p| keys.contains(p)).cloned().collect();
        assert_eq!(
            keys,
            in_template,
            "{} parameters (in template order)",
            f.kind.name()
        );
        for req in required {
            assert!(
                !f.get(&req).unwrap().is_empty(),
                "{}: {req} is empty",
                f.kind.name()
            );
        }
    }
}

#[test]
fn parameter_file_is_the_cloudformation_list_format_ok() {
    let r = render(&example_doc(), &full_inputs()).unwrap();
    let json: serde_json::Value = serde_json::from_str(&r.files[1].to_json()).unwrap();
    let list = json.as_array().unwrap();
    for entry in list {
        let obj = entry.as_object().unwrap();
        let mut members: Vec<&str> = obj.keys().map(String::as_str).collect();
        members.sort_unstable();
        assert_eq!(members, ["ParameterKey", "ParameterValue"]);
        assert!(obj["ParameterValue"].is_string());
    }
    assert_eq!(list[0]["ParameterKey"], "SiteName");
    assert_eq!(list[0]["ParameterValue"], "downloads");
}

#[test]
fn bootstrap_config_renders_identity_without_cognito_ok() {
    // Before the identity stack exists: no [cognito], [auth] or trusted keys yet.
    let text = std::fs::read_to_string(example_dir().join("edgegate.toml")).unwrap();
    let mut doc = example_doc();
    doc.cognito = None;
    doc.auth = None;
    doc.cloudfront = None;
    assert!(text.contains("region = \"eu-west-1\""));
    let r = render(
        &doc,
        &Inputs {
            slot_pems: (Some(slot_pem("cloudfront-a.pem")), None),
            ..Inputs::default()
        },
    )
    .unwrap();
    let kinds: Vec<_> = r.files.iter().map(|f| f.kind).collect();
    assert_eq!(kinds, [StackKind::Artifacts, StackKind::Identity]);
    assert_eq!(r.files[1].get("OAuthScopes"), Some("openid"));
    assert_eq!(r.notes.len(), 2, "{:?}", r.notes);
}

#[test]
fn identity_outputs_mismatch_names_the_settings_fails() {
    let mut doc = example_doc();
    if let Some(c) = doc.cognito.as_mut() {
        c.user_pool_id = "eu-west-1_Other".into();
    }
    let err = render(&doc, &full_inputs()).unwrap_err().one_line();
    assert!(
        err.contains("cognito.user_pool_id = \"eu-west-1_AbCdEf123\""),
        "{err}"
    );
}

#[test]
fn origin_waits_for_the_edge_stack_outputs_ok() {
    let mut inputs = full_inputs();
    inputs.outputs.retain(|o| o.stack_name != "downloads-edge");
    let r = render(&example_doc(), &inputs).unwrap();
    assert!(r.files.iter().all(|f| f.kind != StackKind::Origin));
    assert!(
        r.notes.iter().any(|n| n.contains("downloads-edge")),
        "{:?}",
        r.notes
    );
}

#[test]
fn edge_stack_running_another_bundle_fails() {
    let mut inputs = full_inputs();
    inputs.outputs = vec![identity_outputs(), edge_outputs(SHA_ORIGIN)];
    let err = render(&example_doc(), &inputs).unwrap_err().one_line();
    assert!(err.contains("deploy the edge stack"), "{err}");
}

#[test]
fn dev_key_in_a_slot_fails() {
    let mut inputs = full_inputs();
    inputs.slot_pems.0 = Some(crate::local::dev_keys::CLOUDFRONT_DEV_PUBLIC_PEM.to_string());
    let err = render(&example_doc(), &inputs).unwrap_err().one_line();
    assert!(err.contains("stack.cloudfront_keys.a"), "{err}");
}

#[test]
fn groups_colliding_in_logical_ids_fail() {
    let mut doc = example_doc();
    doc.routes[0].groups = Some(vec!["release-engineers".into(), "releaseengineers".into()]);
    let err = render(&doc, &full_inputs()).unwrap_err().one_line();
    assert!(err.contains("unlike every other group"), "{err}");
}

#[test]
fn route_groups_come_from_groups_routes_only_ok() {
    use edgegate_edge::config::{AccessKind, RouteDoc};
    let mut doc = example_doc();
    let route = |prefix: &str, access, groups: Option<&[&str]>, scopes: Option<&[&str]>| RouteDoc {
        prefix: prefix.into(),
        access,
        groups: groups.map(|g| g.iter().map(|s| s.to_string()).collect()),
        scopes: scopes.map(|g| g.iter().map(|s| s.to_string()).collect()),
        networks: None,
        index: None,
        spa: None,
        issuers: None,
        claims: None,
    };
    doc.routes = vec![
        route("/members", AccessKind::Authenticated, None, None),
        route(
            "/machine",
            AccessKind::Scopes,
            None,
            Some(&["artifacts/read"]),
        ),
        route(
            "/builds",
            AccessKind::Groups,
            Some(&["builders"]),
            Some(&["builds/read"]),
        ),
    ];
    assert_eq!(settings::route_groups(&doc).unwrap(), ["builders"]);
    doc.routes.truncate(2);
    let err = settings::route_groups(&doc).unwrap_err().one_line();
    assert!(err.contains("no route names a group"), "{err}");
}

#[test]
fn site_with_port_or_http_fails() {
    let mut doc = example_doc();
    doc.site.domain = "127.0.0.1:8787".into();
    assert!(render(&doc, &full_inputs()).is_err());
    let mut doc = example_doc();
    doc.site.scheme = Some("http".into());
    assert!(render(&doc, &full_inputs()).is_err());
}

#[tokio::test]
async fn example_config_loads_validates_and_writes_files_ok() {
    let out = std::env::temp_dir().join(format!("edgegate-stack-params-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    let edge = out.join("edge-outputs.json");
    let identity = out.join("identity-outputs.json");
    let dump = |o: &StackOutputs| {
        serde_json::json!({"Stacks": [{"StackName": o.stack_name, "Outputs": o.outputs.iter().map(|(k, v)| serde_json::json!({"OutputKey": k, "OutputValue": v})).collect::<Vec<_>>()}]}).to_string()
    };
    std::fs::write(&edge, dump(&edge_outputs(SHA_EDGE))).unwrap();
    std::fs::write(&identity, dump(&identity_outputs())).unwrap();
    let report = run(StackCommand::Params(ParamsArgs {
        config: example_dir().join("edgegate.toml"),
        bundle_sha256: Some(SHA_EDGE.into()),
        origin_bundle_sha256: Some(SHA_ORIGIN.into()),
        stack_outputs: vec![identity, edge],
        out: out.clone(),
    }))
    .await
    .unwrap();
    for name in ["artifacts", "identity", "edge", "origin"] {
        let text = std::fs::read_to_string(out.join(format!("{name}.json"))).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert!(v.as_array().is_some_and(|a| !a.is_empty()), "{name}.json");
    }
    assert!(
        report.contains("--region us-east-1 --stack-name downloads-edge"),
        "{report}"
    );
    assert!(
        report.contains("--region eu-west-1 --stack-name downloads-origin"),
        "{report}"
    );
    let _ = std::fs::remove_dir_all(&out);
}
