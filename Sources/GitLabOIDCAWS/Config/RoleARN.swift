import Glibc

/// An IAM role ARN, `arn:<partition>:iam::<12-digit account>:role/<optional path/><name>`.
public struct RoleARN: Hashable, Sendable, CustomStringConvertible {
    public let partition: String
    public let account: String
    /// The role's path and name, as after `role/`.
    public let resource: String

    /// The partitions a role ARN may name.
    public static let partitions = ["aws", "aws-cn", "aws-us-gov"]

    /// What is wrong with text that should be a role ARN, most specific first.
    public enum Problem: Equatable, Sendable {
        /// Not six `:`-separated fields starting with `arn`.
        case notAnARN
        /// The partition is none of `partitions`.
        case unknownPartition
        /// The service is not `iam` (an S3 or STS ARN), or the region field is not empty.
        case notIAM
        /// The account field is not 12 digits; `digits` is how many characters it has.
        case accountLength(Int)
        /// The account field has 12 characters, but not all are digits.
        case accountNotDigits
        /// The resource is not `role/...` (a user, a policy).
        case notARole
        /// The role's path or name has characters IAM refuses, or a name of 0 or more than 64
        /// characters.
        case badRoleName

        /// The part of a message after `"<text>" `.
        public var explanation: String {
            switch self {
            case .notAnARN:
                return "is not an IAM role ARN like \"arn:aws:iam::111122223333:role/deploy\""
            case .unknownPartition:
                return "names no AWS partition (\(RoleARN.partitions.joined(separator: ", "))); a role ARN looks like \"arn:aws:iam::111122223333:role/deploy\""
            case .notIAM:
                return "is not an IAM role ARN like \"arn:aws:iam::111122223333:role/deploy\" (the service must be iam and the region field empty: arn:aws:iam::...)"
            case let .accountLength(count):
                return "has an account id of \(count) character\(count == 1 ? "" : "s"); AWS account ids have exactly 12 digits (keep leading zeros)"
            case .accountNotDigits:
                return "has an account id that is not 12 digits; AWS account ids have exactly 12 digits"
            case .notARole:
                return "is not an IAM role ARN like \"arn:aws:iam::111122223333:role/deploy\" (the hook can only assume roles: the last part must start with role/)"
            case .badRoleName:
                return "has a role name IAM does not allow: 1 to 64 characters of letters, digits and + = , . @ _ - (a path before it may also use /)"
            }
        }
    }

    /// Parses `text`, or returns nil when it is not an IAM role ARN (`problem(in:)` says why).
    public init?(_ text: String) {
        var copy = text
        guard copy.withUTF8({ RoleARN.problem(in: $0) }) == nil else { return nil }
        let fields = text.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        partition = String(fields[1])
        account = String(fields[4])
        resource = String(fields[5].dropFirst(5))
    }

    /// What keeps `text` from being a role ARN; nil when it is one.
    public static func problem(_ text: String) -> Problem? {
        var copy = text
        return copy.withUTF8 { problem(in: $0) }
    }

    /// What keeps the UTF-8 `bytes` from being a role ARN; nil when they are one. Allocates
    /// nothing.
    public static func problem(in bytes: UnsafeBufferPointer<UInt8>) -> Problem? {
        if let valid = commercialRoleIsValid(bytes) { return valid ? nil : .badRoleName }
        return generalProblem(in: bytes)
    }

    /// `problem(in:)` for any text, field by field.
    static func generalProblem(in bytes: UnsafeBufferPointer<UInt8>) -> Problem? {
        guard let fields = ARNFields(bytes), fields.equals(0, "arn") else { return .notAnARN }
        guard fields.equals(1, "aws") || fields.equals(1, "aws-cn") || fields.equals(1, "aws-us-gov") else {
            return .unknownPartition
        }
        guard fields.equals(2, "iam"), fields.isEmpty(3) else { return .notIAM }
        guard fields.count(4) == 12 else { return .accountLength(fields.count(4)) }
        guard fields.isAccount(4) else { return .accountNotDigits }
        guard fields.hasPrefix(5, "role/") else { return .notARole }
        let resource = fields.range(5)
        var nameStart = resource.lowerBound + 5
        for position in resource.lowerBound + 5..<resource.upperBound {
            let byte = bytes[position]
            if byte == UInt8(ascii: "/") {
                nameStart = position + 1
            } else if !isAllowed(byte) {
                return .badRoleName
            }
        }
        let nameLength = resource.upperBound - nameStart
        guard nameLength >= 1, nameLength <= 64 else { return .badRoleName }
        return nil
    }

    /// The common case, checked in one pass: `arn:aws:iam::<12 digits>:role/<path/name>`.
    /// Whether its path and name are valid; nil when `bytes` do not start that way (the
    /// general check then says what is wrong).
    @inline(__always) static func commercialRoleIsValid(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool? {
        // "arn:aws:" "iam::" as two little-endian words, then ":role/".
        guard bytes.count > 31, let base = bytes.baseAddress else { return nil }
        let raw = UnsafeRawPointer(base)
        guard raw.loadUnaligned(as: UInt64.self) == UInt64(littleEndian: 0x3A73_7761_3A6E_7261),
            raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self) & 0xFF_FFFF_FFFF
                == UInt64(littleEndian: 0x3A_3A6D_6169),
            raw.loadUnaligned(fromByteOffset: 25, as: UInt32.self) == UInt32(littleEndian: 0x6C6F_723A),
            raw.loadUnaligned(fromByteOffset: 29, as: UInt16.self) == UInt16(littleEndian: 0x2F65)
        else { return nil }
        for index in 13..<25 where bytes[index] &- 48 > 9 { return nil }
        var nameStart = 31
        for position in 31..<bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "/") {
                nameStart = position + 1
            } else if !isAllowed(byte) {
                return false
            }
        }
        let nameLength = bytes.count - nameStart
        return nameLength >= 1 && nameLength <= 64
    }

    @inline(__always) private static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "="), UInt8(ascii: ","),
            UInt8(ascii: "."), UInt8(ascii: "@"), UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }

    /// The role's name, without its path.
    public var name: String { String(resource.split(separator: "/").last ?? "") }

    public var description: String { "arn:\(partition):iam::\(account):role/\(resource)" }
}

/// The six `:`-separated fields of an ARN (`arn:partition:service:region:account:resource`,
/// the last one taking every further `:`), as byte ranges, found without allocating.
struct ARNFields {
    let bytes: UnsafeBufferPointer<UInt8>
    /// The positions of the first five colons.
    private let colons: (Int, Int, Int, Int, Int)

    init?(_ bytes: UnsafeBufferPointer<UInt8>) {
        var colons = (0, 0, 0, 0, 0)
        var found = 0
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: ":") {
                switch found {
                case 0: colons.0 = index
                case 1: colons.1 = index
                case 2: colons.2 = index
                case 3: colons.3 = index
                default: colons.4 = index
                }
                found += 1
                if found == 5 { break }
            }
            index += 1
        }
        guard found == 5 else { return nil }
        self.bytes = bytes
        self.colons = colons
    }

    /// The bytes of field `number` (0 to 5).
    func range(_ number: Int) -> Range<Int> {
        switch number {
        case 0: return 0..<colons.0
        case 1: return colons.0 + 1..<colons.1
        case 2: return colons.1 + 1..<colons.2
        case 3: return colons.2 + 1..<colons.3
        case 4: return colons.3 + 1..<colons.4
        default: return colons.4 + 1..<bytes.count
        }
    }

    func count(_ number: Int) -> Int { range(number).count }

    func isEmpty(_ number: Int) -> Bool { range(number).isEmpty }

    func equals(_ number: Int, _ text: StaticString) -> Bool {
        let range = range(number)
        return range.count == text.utf8CodeUnitCount && hasPrefix(number, text)
    }

    func hasPrefix(_ number: Int, _ text: StaticString) -> Bool {
        let range = range(number)
        guard range.count >= text.utf8CodeUnitCount else { return false }
        return memcmp(bytes.baseAddress! + range.lowerBound, text.utf8Start, text.utf8CodeUnitCount) == 0
    }

    /// Whether the field is an AWS account id: 12 digits.
    func isAccount(_ number: Int) -> Bool {
        let range = range(number)
        guard range.count == 12 else { return false }
        for index in range where bytes[index] &- 48 > 9 { return false }
        return true
    }
}

/// AWS region names, the rule that refuses typos in them, and the partition each belongs to.
///
/// A region name is `<area>-<direction>-<number>`: the area one or two groups of lowercase
/// letters (`eu`, `us-gov`, `eusc-de`), the direction one of `directions`, the number 1 to 99.
/// That shape is required, so `eu-wset-1` is refused whatever AWS adds. A name of that shape
/// that is not in `known` (the regions AWS had when this version was made) is accepted with a
/// warning from `check`: AWS opens new regions, and a new one must work before this list
/// knows it.
public enum AWSRegion {
    /// The directions region names use.
    public static let directions = [
        "north", "south", "east", "west", "central", "northeast", "northwest", "southeast", "southwest",
    ]

    /// The regions AWS had when this version was made (commercial, China, GovCloud).
    public static let known = [
        "us-east-1", "us-east-2", "us-west-1", "us-west-2", "af-south-1", "ap-east-1", "ap-east-2", "ap-south-1",
        "ap-south-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "ap-southeast-2",
        "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ca-central-1",
        "ca-west-1", "eu-central-1", "eu-central-2", "eu-west-1", "eu-west-2", "eu-west-3", "eu-south-1",
        "eu-south-2", "eu-north-1", "il-central-1", "me-south-1", "me-central-1", "mx-central-1", "sa-east-1",
        "cn-north-1", "cn-northwest-1", "us-gov-east-1", "us-gov-west-1",
    ]

    /// What is wrong with a region name.
    public enum Problem: Equatable, Sendable {
        /// Not `<area>-<direction>-<number>` in lowercase letters and digits.
        case shape
        /// The direction part is none of `directions`.
        case direction

        public var explanation: String {
            switch self {
            case .shape:
                return "is not an AWS region name: regions are written like \"us-east-1\" or \"eu-central-2\" (area, direction, number, in lowercase)"
            case .direction:
                return "is not an AWS region name: its direction must be one of \(AWSRegion.directions.joined(separator: ", "))"
            }
        }
    }

    /// Whether `name` is a region name by the rule above.
    public static func isValid(_ name: String) -> Bool { problem(name) == nil }

    /// What keeps `name` from being a region name; nil when it is one.
    public static func problem(_ name: String) -> Problem? {
        var copy = name
        return copy.withUTF8 { problem(in: $0) }
    }

    /// The same for UTF-8 bytes, allocating nothing.
    public static func problem(in bytes: UnsafeBufferPointer<UInt8>) -> Problem? {
        // The parts between dashes: 1 or 2 area parts, the direction, the number.
        var starts: (Int, Int, Int, Int) = (0, 0, 0, 0)
        var parts = 1
        for index in bytes.indices where bytes[index] == UInt8(ascii: "-") {
            guard parts < 4 else { return .shape }
            switch parts {
            case 1: starts.1 = index + 1
            case 2: starts.2 = index + 1
            default: starts.3 = index + 1
            }
            parts += 1
        }
        guard parts >= 3 else { return .shape }
        let numberStart = parts == 3 ? starts.2 : starts.3
        let directionStart = parts == 3 ? starts.1 : starts.2
        let numberLength = bytes.count - numberStart
        guard numberLength >= 1, numberLength <= 2, bytes[numberStart] != UInt8(ascii: "0"),
            bytes[numberStart...].allSatisfy({ $0 >= 48 && $0 <= 57 })
        else { return .shape }
        func isLetters(_ range: Range<Int>) -> Bool {
            !range.isEmpty && bytes[range].allSatisfy { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") }
        }
        guard isLetters(0..<starts.1 - 1), parts == 3 || isLetters(starts.1..<starts.2 - 1),
            isLetters(directionStart..<numberStart - 1)
        else { return .shape }
        let direction = bytes[directionStart..<numberStart - 1]
        guard directionBytes.contains(where: { $0.elementsEqual(direction) }) else { return .direction }
        return nil
    }

    private static let directionBytes = directions.map { Array($0.utf8) }

    /// Whether `name` is one of the regions this version knows.
    public static func isKnown(_ name: String) -> Bool { known.contains(name) }

    /// `aws-cn` for China regions, `aws-us-gov` for GovCloud, `aws` otherwise.
    public static func partition(of region: String) -> String {
        if region.hasPrefix("cn-") { return "aws-cn" }
        if region.hasPrefix("us-gov-") { return "aws-us-gov" }
        return "aws"
    }
}
