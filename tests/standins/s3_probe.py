#!/usr/bin/env python3
"""An independent S3 / CloudFront / Secrets Manager client (boto3) for the publisher's tests.

stdin: JSON {"endpoint": URL, "access_key": ..., "secret_key": ..., "region": ...,
             "ops": [{"op": NAME, ...}, ...]}
stdout: JSON array, one result per op, same order. A failed AWS call gives
{"error_code": CODE, "error": MESSAGE, "status": HTTP} instead of raising.

ops:
  create_bucket {bucket}
  list {bucket, prefix}                      -> {"keys": [{"key", "size"}]}
  head {bucket, key}                         -> {"size", "metadata", "content_type",
                                                 "cache_control", "checksum_sha256", "etag"}
  get {bucket, key}                          -> {"size", "sha256" (hex), "text" (if UTF-8 and small)}
  put {bucket, key, body, checksum_sha256?, content_md5?}   (body: text)
  multipart_part_checksum {bucket, key, body, part_checksum_sha256}
                                             -> {"upload_part": ok|error, "complete": ok|error}
  uploads {bucket, prefix}                   -> {"uploads": [{"key", "upload_id"}]} (pending multipart)
  create_pending {bucket, key, size}         -> {"upload_id"}: a multipart upload (SHA256) left
                                                pending with part 1 of `size` bytes b"x"
  overwrite_part {bucket, key, upload_id, part_number, size}
                                             -> {"etag"}: uploads `size` bytes b"z" as that part
  create_distribution {}                     -> {"id"}
  invalidations {distribution_id}            -> {"items": [{"id", "status", "paths"}]}
  create_secret {name, value}                -> {"arn"}
"""
import base64
import hashlib
import json
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError


def client(req, service):
    return boto3.client(
        service,
        endpoint_url=req["endpoint"],
        aws_access_key_id=req.get("access_key", "testing"),
        aws_secret_access_key=req.get("secret_key", "testing"),
        region_name=req.get("region", "us-east-1"),
        config=Config(
            s3={"addressing_style": "path"},
            retries={"max_attempts": 1},
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        ),
    )


def error(e):
    return {
        "error_code": e.response.get("Error", {}).get("Code", ""),
        "error": e.response.get("Error", {}).get("Message", ""),
        "status": e.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0),
    }


def run(req, op):
    name = op["op"]
    if name == "create_bucket":
        client(req, "s3").create_bucket(Bucket=op["bucket"])
        return {"ok": True}
    if name == "list":
        s3 = client(req, "s3")
        keys = []
        for page in s3.get_paginator("list_objects_v2").paginate(
            Bucket=op["bucket"], Prefix=op.get("prefix", "")
        ):
            keys += [{"key": o["Key"], "size": o["Size"]} for o in page.get("Contents", [])]
        return {"keys": keys}
    if name == "head":
        r = client(req, "s3").head_object(
            Bucket=op["bucket"], Key=op["key"], ChecksumMode="ENABLED"
        )
        return {
            "size": r.get("ContentLength"),
            "metadata": r.get("Metadata", {}),
            "content_type": r.get("ContentType"),
            "cache_control": r.get("CacheControl"),
            "checksum_sha256": r.get("ChecksumSHA256"),
            "etag": r.get("ETag"),
        }
    if name == "get":
        body = client(req, "s3").get_object(Bucket=op["bucket"], Key=op["key"])["Body"].read()
        out = {"size": len(body), "sha256": hashlib.sha256(body).hexdigest()}
        if len(body) <= 1 << 20:
            try:
                out["text"] = body.decode("utf-8")
            except UnicodeDecodeError:
                pass
        return out
    if name == "put":
        kwargs = {"Bucket": op["bucket"], "Key": op["key"], "Body": op["body"].encode()}
        if "checksum_sha256" in op:
            kwargs["ChecksumSHA256"] = op["checksum_sha256"]
        if "content_md5" in op:
            kwargs["ContentMD5"] = op["content_md5"]
        client(req, "s3").put_object(**kwargs)
        return {"ok": True}
    if name == "multipart_part_checksum":
        s3 = client(req, "s3")
        up = s3.create_multipart_upload(
            Bucket=op["bucket"], Key=op["key"], ChecksumAlgorithm="SHA256"
        )
        out = {}
        try:
            part = s3.upload_part(
                Bucket=op["bucket"],
                Key=op["key"],
                UploadId=up["UploadId"],
                PartNumber=1,
                Body=op["body"].encode(),
                ChecksumSHA256=op["part_checksum_sha256"],
            )
            out["upload_part"] = {"ok": True}
        except ClientError as e:
            out["upload_part"] = error(e)
            return out
        try:
            s3.complete_multipart_upload(
                Bucket=op["bucket"],
                Key=op["key"],
                UploadId=up["UploadId"],
                MultipartUpload={
                    "Parts": [
                        {
                            "PartNumber": 1,
                            "ETag": part["ETag"],
                            "ChecksumSHA256": op["part_checksum_sha256"],
                        }
                    ]
                },
            )
            out["complete"] = {"ok": True}
        except ClientError as e:
            out["complete"] = error(e)
        return out
    if name == "uploads":
        s3 = client(req, "s3")
        r = s3.list_multipart_uploads(Bucket=op["bucket"], Prefix=op.get("prefix", ""))
        return {
            "uploads": [
                {"key": u["Key"], "upload_id": u["UploadId"]} for u in r.get("Uploads", [])
            ]
        }
    if name == "create_pending":
        s3 = client(req, "s3")
        up = s3.create_multipart_upload(
            Bucket=op["bucket"], Key=op["key"], ChecksumAlgorithm="SHA256"
        )
        body = b"x" * op["size"]
        s3.upload_part(
            Bucket=op["bucket"],
            Key=op["key"],
            UploadId=up["UploadId"],
            PartNumber=1,
            Body=body,
            ChecksumSHA256=base64.b64encode(hashlib.sha256(body).digest()).decode(),
        )
        return {"upload_id": up["UploadId"]}
    if name == "overwrite_part":
        body = b"z" * op["size"]
        r = client(req, "s3").upload_part(
            Bucket=op["bucket"],
            Key=op["key"],
            UploadId=op["upload_id"],
            PartNumber=op["part_number"],
            Body=body,
            ChecksumSHA256=base64.b64encode(hashlib.sha256(body).digest()).decode(),
        )
        return {"etag": r["ETag"]}
    if name == "create_distribution":
        cf = client(req, "cloudfront")
        ref = op.get("reference", "edgegate-test")
        r = cf.create_distribution(
            DistributionConfig={
                "CallerReference": ref,
                "Comment": "edgegate publish test",
                "Enabled": True,
                "Origins": {
                    "Quantity": 1,
                    "Items": [
                        {
                            "Id": "origin",
                            "DomainName": "bucket.s3.amazonaws.com",
                            "S3OriginConfig": {"OriginAccessIdentity": ""},
                        }
                    ],
                },
                "DefaultCacheBehavior": {
                    "TargetOriginId": "origin",
                    "ViewerProtocolPolicy": "redirect-to-https",
                    "MinTTL": 0,
                    "ForwardedValues": {
                        "QueryString": False,
                        "Cookies": {"Forward": "none"},
                    },
                    "TrustedSigners": {"Enabled": False, "Quantity": 0},
                },
            }
        )
        return {"id": r["Distribution"]["Id"]}
    if name == "invalidations":
        cf = client(req, "cloudfront")
        listed = cf.list_invalidations(DistributionId=op["distribution_id"])
        items = []
        for s in listed.get("InvalidationList", {}).get("Items", []) or []:
            inv = cf.get_invalidation(DistributionId=op["distribution_id"], Id=s["Id"])
            inv = inv["Invalidation"]
            items.append(
                {
                    "id": inv["Id"],
                    "status": inv["Status"],
                    "paths": inv["InvalidationBatch"]["Paths"].get("Items", []),
                }
            )
        return {"items": items}
    if name == "create_secret":
        r = client(req, "secretsmanager").create_secret(
            Name=op["name"], SecretString=op["value"]
        )
        return {"arn": r["ARN"]}
    raise ValueError(f"unknown op {name}")


def main():
    req = json.load(sys.stdin)
    results = []
    for op in req["ops"]:
        try:
            results.append(run(req, op))
        except ClientError as e:
            results.append(error(e))
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
