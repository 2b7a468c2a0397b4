/// Temporary credentials returned by STS. The description names the access key ID and the
/// assumed role only, never the secret key or the session token.
public struct AWSCredentials: Equatable, Sendable, CustomStringConvertible, CustomReflectable {
    public let accessKeyID: String
    public let secretAccessKey: String
    public let sessionToken: String
    /// Seconds since 1970.
    public let expiration: Int64
    /// `AssumedRoleUser/Arn`: `arn:aws:sts::<account>:assumed-role/<role>/<session>`.
    public let assumedRoleARN: String?

    public init(
        accessKeyID: String, secretAccessKey: String, sessionToken: String, expiration: Int64,
        assumedRoleARN: String?
    ) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiration = expiration
        self.assumedRoleARN = assumedRoleARN
    }

    /// The 12-digit account these credentials act in: the account of `assumedRoleARN` when
    /// STS sent a well-formed one, else the account of `roleARN` (the role that was assumed);
    /// nil when neither names an account.
    public func accountID(assumedRole roleARN: String) -> String? {
        assumedRoleARN.flatMap(AWSAccount.id(ofAssumedRoleARN:)) ?? RoleARN(roleARN)?.account
    }

    public var description: String {
        var text = "credentials \(LogText.oneLine(accessKeyID, limit: 32))"
        if let assumedRoleARN { text += " for \(LogText.oneLine(assumedRoleARN, limit: 256))" }
        return text + ", expiring \(Timestamp.format(expiration))"
    }

    public var customMirror: Mirror {
        Mirror(
            self,
            children: ["accessKeyID": accessKeyID, "expiration": expiration, "assumedRoleARN": assumedRoleARN as Any])
    }
}

/// AWS account ids in ARNs.
public enum AWSAccount {
    /// Whether `text` is an account id: exactly 12 ASCII digits.
    public static func isValid(_ text: some StringProtocol) -> Bool {
        text.utf8.count == 12 && text.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    /// The account of an assumed-role session ARN,
    /// `arn:<partition>:sts::<account>:assumed-role/<role>/<session>`; nil for anything else.
    public static func id(ofAssumedRoleARN arn: String) -> String? {
        let fields = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard fields.count == 6, fields[0] == "arn", fields[1].hasPrefix("aws"), fields[2] == "sts",
            fields[3].isEmpty, isValid(fields[4]), fields[5].hasPrefix("assumed-role/")
        else { return nil }
        return String(fields[4])
    }
}
