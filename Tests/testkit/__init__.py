"""The servers, tokens and runner reproductions the tests, the benchmark and the demo share.

Modules:
  net          loopback HTTP server base class, free ports, waiting helpers
  env          clean environments for child processes, the AWS CLI's path
  keys         RSA test keys (JWK export, RS256/384/512 signing with pure-Python `rsa`)
  tokens       GitLab-shaped ID tokens and hostile variants
  issuer       local OIDC issuer (discovery + JWKS) with controls
  sts_double   STS double (web identity, SigV4-verified AssumeRole and GetCallerIdentity) with fault modes
  moto_accounts credentials and IAM roles of any account at moto's server
  iam_double   IAM GetRole double (SigV4-verified) for refusals, throttling and odd answers
  moto_sts     moto server subprocess
  runner_stage reproduction of GitLab Runner's bash/sh stage scripts
  mapping      mapping-file TOML and the roles the tests map
  hook         running the hook; env-file, exit-code and leak assertions
  aws_clients  the AWS CLI and boto3 run in a job's environment (env file applied)
  tls          a test CA made at run time, and the OIDC issuer over HTTPS
  wire_probe   the test-only aws-wire-probe binary (the library's SigV4, AssumeRole, GetRole)
  boto         in-process boto3 clients for the double and moto, isolated from the machine
"""
