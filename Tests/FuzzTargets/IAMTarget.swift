import GitLabOIDCAWS

extension FuzzTargets {
    /// The role `iam-get-role` inputs are answers for.
    static let auditedRole = "arn:aws:iam::123456789012:role/ci/deploy"

    /// IAM `GetRole` answers (`IAM.parseGetRoleAnswer`, what `audit` reads for each mapped
    /// role), error responses included, down to the URL-encoded trust policy
    /// (`TrustPolicyDocument`). The first byte picks the HTTP status, the rest is the body.
    public static func iamGetRole(_ input: [UInt8]) {
        let statuses = [200, 400, 403, 404, 500, 503]
        let status = input.first.map { statuses[Int($0) % statuses.count] } ?? 200
        do {
            let role = try IAM.parseGetRoleAnswer(status: status, body: Array(input.dropFirst()), roleARN: auditedRole)
            precondition((200..<300).contains(status), "a role accepted from HTTP \(status)")
            precondition(role.arn == auditedRole, "the answer for another role was accepted")
            precondition(!role.name.isEmpty && !role.name.utf8.contains(where: isControl), "an unusable role name")
            for (index, statement) in role.trustPolicy.statements.enumerated() {
                checkMessage(statement.label(index: index))
            }
        } catch {
            let message = error.description
            precondition(!message.utf8.contains(where: isControl), "control characters in an IAM error message")
            precondition(message.utf8.count <= 4096, "an IAM error message of \(message.utf8.count) bytes")
            precondition(error.roleARN == auditedRole, "an error that does not name the role")
            _ = error.retryDecision
        }
    }
}
