//! # edgegate-origin
//!
//! Will own what runs behind CloudFront and feeds the private origin: the `/auth/*` origin
//! auth function (lambda_runtime; issue "Browser sign-in") and the release publisher
//! (aws-sdk-s3 / aws-sdk-cloudfront; issue "Release engineers publish builds").
//!
//! Nothing is implemented here yet; the crate exists so the workspace layout and the
//! dependency direction (`keys` <- `edge` <- `origin`) are fixed from the start.
