/// An IAM role ARN, `arn:<partition>:iam::<12-digit account>:role/<optional path/><name>`.
public struct RoleARN: Hashable, Sendable, CustomStringConvertible {
    public let partition: String
    public let account: String
    /// The role's path and name, as after `role/`.
    public let resource: String

    /// Parses `text`, or returns nil when it is not an IAM role ARN.
    public init?(_ text: String) {
        // The six fields between the first five colons: arn:<partition>:iam::<account>:<resource>.
        let utf8 = text.utf8
        var bounds: [String.Index] = []
        bounds.reserveCapacity(6)
        var index = utf8.startIndex
        while bounds.count < 5, let colon = utf8[index...].firstIndex(of: UInt8(ascii: ":")) {
            bounds.append(colon)
            index = utf8.index(after: colon)
        }
        guard bounds.count == 5 else { return nil }
        func field(_ number: Int) -> Substring.UTF8View {
            let start = number == 0 ? utf8.startIndex : utf8.index(after: bounds[number - 1])
            return text[start..<(number == 5 ? utf8.endIndex : bounds[number])].utf8
        }
        let partition = field(1)
        let account = field(4)
        let resourceField = field(5)
        guard field(0).elementsEqual("arn".utf8), field(2).elementsEqual("iam".utf8), field(3).isEmpty,
            partition.elementsEqual("aws".utf8) || partition.elementsEqual("aws-cn".utf8)
                || partition.elementsEqual("aws-us-gov".utf8),
            account.count == 12, account.allSatisfy({ $0 >= 48 && $0 <= 57 }),
            resourceField.starts(with: "role/".utf8)
        else { return nil }
        let resource = resourceField.dropFirst(5)
        // Every allowed byte is ASCII, so byte counts are character counts.
        guard resource.allSatisfy({ RoleARN.isAllowed($0) }) else { return nil }
        let nameStart = resource.lastIndex(of: UInt8(ascii: "/")).map { resource.index(after: $0) } ?? resource.startIndex
        let nameLength = resource.distance(from: nameStart, to: resource.endIndex)
        guard nameLength >= 1, nameLength <= 64 else { return nil }
        self.partition = String(Substring(partition))
        self.account = String(Substring(account))
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
