//! The origin auth function (`bootstrap` on `provided.al2023`): `main` plus wiring. Builds the
//! settings, secrets and HTTP client once, then serves function URL events.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

use edgegate_auth::lambda;
use lambda_runtime::{service_fn, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let dir = lambda::package_dir();
    let endpoint = std::env::var("EDGEGATE_AWS_ENDPOINT_URL").ok();
    let cold = match lambda::cold_start(&dir, endpoint).await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("edgegate-auth: cold start failed: {e}");
            return Err(e.into());
        }
    };
    let cold = &cold;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<
            aws_lambda_events::lambda_function_urls::LambdaFunctionUrlRequest,
        >| async move {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            Ok::<_, lambda_runtime::Error>(lambda::handle(cold, event.payload, now).await)
        },
    ))
    .await
}
