import GitLabOIDCAWS

extension FuzzTargets {
    /// STS answers (`STS.parseAnswer`) to `AssumeRoleWithWebIdentity` and to a chain hop's
    /// `AssumeRole`, error responses included. The first byte picks the HTTP status (and, from
    /// 128 up, `AssumeRole`), the rest is the body. Credentials that are accepted then go the
    /// way the hook writes them: env-file lines, read back and judged for reuse as a later hook
    /// run in the job would, and the `credential-process` answer and cache, read back.
    public static func stsAnswer(_ input: [UInt8]) {
        let statuses = [200, 400, 403, 500, 503, 302]
        let selector = Int(input.first ?? 0)
        let status = statuses[selector % statuses.count]
        let action: STSAction = selector >= 128 ? .assumeRole : .assumeRoleWithWebIdentity
        do {
            let credentials = try STS.parseAnswer(status: status, body: Array(input.dropFirst()), action: action)
            precondition((200..<300).contains(status), "credentials accepted from HTTP \(status)")
            for value in [credentials.accessKeyID, credentials.secretAccessKey, credentials.sessionToken] {
                precondition(!value.isEmpty && !value.utf8.contains(where: isControl), "unusable credential value")
            }
            precondition(Timestamp.representable.contains(credentials.expiration), "an expiration beyond RFC 3339")
            let expiration = Timestamp.format(credentials.expiration)
            precondition(Timestamp.parse(expiration) == credentials.expiration, "\(expiration) does not read back")

            let role = "arn:aws:iam::111122223333:role/deploy"
            guard let text = try? EnvFile.render(EnvLines.credentials(credentials, role: role, region: "us-east-1"))
            else { preconditionFailure("credentials that cannot be written to the env file") }
            let entries = EnvFile.parse(Array(text.utf8))
            precondition(
                entries["AWS_SECRET_ACCESS_KEY"] == credentials.secretAccessKey, "the env file changes a value")
            for now in [Int64.min, 0, FuzzTargets.now, credentials.expiration, .max] {
                let reusable = JobPlanner.reusableExpiration(in: entries, role: role, now: now)
                precondition(
                    (reusable != nil) == (Timestamp.seconds(from: now, to: credentials.expiration) > JobPlanner.reuseMargin),
                    "the reuse decision is wrong")
            }
            let cache = Array(CredentialProcess.cacheText(credentials, role: role).utf8)
            let cached = CredentialProcess.cachedCredentials(cache, role: role, now: credentials.expiration - 3600)
            precondition(cached?.secretAccessKey == credentials.secretAccessKey, "the cache does not read back")
        } catch {
            // Messages reach the job log: one line, bounded, whatever the server sent.
            let message = error.description
            precondition(!message.utf8.contains(where: isControl), "control characters in an STS error message")
            precondition(message.utf8.count <= 4096, "an STS error message of \(message.utf8.count) bytes")
            _ = error.retryDecision(afterAttempt: 1)
        }
    }

    /// The job's env file as a later hook run reads it back (`EnvFile.parse`, which the job
    /// can write anything into) and the reuse decision on what it finds, at several times.
    public static func envFile(_ input: [UInt8]) {
        let entries = EnvFile.parse(input)
        for (key, value) in entries {
            precondition(!key.contains("\n") && !value.contains("\n"), "a line break inside an entry")
            precondition(!key.contains("="), "an entry's key holds =")
        }
        let role = entries["GITLAB_OIDC_AWS_ROLE_ARN"] ?? "arn:aws:iam::111122223333:role/deploy"
        for now in [Int64.min, Timestamp.earliest, 0, FuzzTargets.now, Timestamp.latest, .max] {
            guard let expiration = JobPlanner.reusableExpiration(in: entries, role: role, now: now) else { continue }
            precondition(Timestamp.representable.contains(expiration), "an expiration beyond RFC 3339 reused")
            precondition(
                Timestamp.seconds(from: now, to: expiration) > JobPlanner.reuseMargin,
                "credentials reused too close to their expiry")
            _ = Timestamp.format(expiration)
        }
    }

    /// The cache file of `credential-process` (`CredentialProcess.cachedCredentials`), in the
    /// job's folder where the job can rewrite it.
    public static func credentialCache(_ input: [UInt8]) {
        let role = "arn:aws:iam::111122223333:role/deploy"
        for now in [Int64.min, Timestamp.earliest, 0, FuzzTargets.now, Timestamp.latest, .max] {
            guard let credentials = CredentialProcess.cachedCredentials(input, role: role, now: now) else { continue }
            precondition(
                Timestamp.seconds(from: now, to: credentials.expiration) > CredentialProcess.refreshMargin,
                "stale credentials handed out")
            for value in [credentials.accessKeyID, credentials.secretAccessKey, credentials.sessionToken] {
                precondition(!value.isEmpty, "an empty credential handed out")
            }
            let answer = CredentialProcess.render(credentials)
            precondition(!answer.contains("\n"), "the credential_process answer is not one line")
        }
    }
}
