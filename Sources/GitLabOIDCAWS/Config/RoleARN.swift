/// An IAM role ARN, `arn:<partition>:iam::<12-digit account>:role/<optional path/><name>`.
public struct RoleARN: Hashable, Sendable, CustomStringConvertible {
    public let partition: String
    public let account: String
    /// The role's path and name, as after `role/`.
    public let resource: String

    /// Parses `text`, or returns nil when it is not an IAM role ARN.
    public init?(_ text: String) {
        let parts = text.utf8.split(separator: UInt8(ascii: ":"), maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0].elementsEqual("arn".utf8), parts[2].elementsEqual("iam".utf8),
            parts[3].isEmpty
        else { return nil }
        guard ["aws", "aws-cn", "aws-us-gov"].contains(where: { parts[1].elementsEqual($0.utf8) }) else { return nil }
        guard parts[4].count == 12, parts[4].allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        let prefix = "role/".utf8
        guard parts[5].starts(with: prefix) else { return nil }
        let resource = parts[5].dropFirst(prefix.count)
        // Every allowed byte is ASCII, so byte counts are character counts.
        guard resource.allSatisfy({ RoleARN.isAllowed($0) }),
            let name = resource.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).last,
            !name.isEmpty, name.count <= 64
        else { return nil }
        partition = String(Substring(parts[1]))
        account = String(Substring(parts[4]))
        self.resource = String(Substring(resource))
    }

    private static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "+=,.@_-/".utf8.contains(byte)
        }
    }

    /// The role's name, without its path.
    public var name: String { String(resource.split(separator: "/").last ?? "") }

    public var description: String { "arn:\(partition):iam::\(account):role/\(resource)" }
}

/// AWS region names and the partition each belongs to.
public enum AWSRegion {
    /// Whether `name` has the shape of an AWS region (`us-east-1`, `cn-north-1`,
    /// `us-gov-west-1`, `eu-central-2`, ...).
    public static func isValid(_ name: String) -> Bool {
        let parts = name.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 3, parts.count <= 4, let number = parts.last, !number.isEmpty,
            number.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 })
        else { return false }
        return parts.dropLast().allSatisfy { part in
            !part.isEmpty && part.utf8.allSatisfy { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") }
        }
    }

    /// `aws-cn` for China regions, `aws-us-gov` for GovCloud, `aws` otherwise.
    public static func partition(of region: String) -> String {
        if region.hasPrefix("cn-") { return "aws-cn" }
        if region.hasPrefix("us-gov-") { return "aws-us-gov" }
        return "aws"
    }
}
