/// A role's trust policy as IAM returns it, in the shape `audit` compares with the mapping:
/// statements with an effect, principals (`AWS`, `Federated`, `Service`), actions and
/// string conditions (`StringEquals`, `StringLike`, `ForAnyValue:StringLike`). A policy using
/// anything else (`NotPrincipal`, `NotAction`, other condition operators, values that are not
/// strings) is refused with a reason, so nothing is silently ignored.
public struct TrustPolicyDocument: Equatable, Sendable {
    /// `Version`, when given (`2012-10-17`).
    public var version: String?
    public var statements: [Statement]

    /// One statement.
    public struct Statement: Equatable, Sendable {
        /// `Effect`.
        public enum Effect: String, Equatable, Sendable {
            case allow = "Allow"
            case deny = "Deny"
        }

        public var sid: String?
        public var effect: Effect
        public var principals: Principals
        /// `Action`, a string or a list in the document; IAM compares them case-insensitively.
        public var actions: [String]
        /// Every condition must hold (IAM's AND across operators and keys).
        public var conditions: [ConditionTest]

        /// `statement N` or `statement N ("Sid")`, 1-based, for messages.
        public func label(index: Int) -> String {
            sid.map { "statement \(index + 1) (\"\(LogText.oneLine($0, limit: 64))\")" } ?? "statement \(index + 1)"
        }
    }

    /// `Principal`: `"*"` or a table of principal types, each a string or a list.
    public struct Principals: Equatable, Sendable {
        /// `"Principal": "*"`: anyone (the same as `{"AWS": "*"}`).
        public var anyone: Bool
        /// IAM ARNs, account ids or `*`.
        public var aws: [String]
        /// Identity providers: `arn:aws:iam::<account>:oidc-provider/<host>`.
        public var federated: [String]
        /// Service principals: `ec2.amazonaws.com`.
        public var service: [String]

        public init(anyone: Bool = false, aws: [String] = [], federated: [String] = [], service: [String] = []) {
            self.anyone = anyone
            self.aws = aws
            self.federated = federated
            self.service = service
        }
    }

    /// One condition key tested with one operator against one or more values (any may hold).
    public struct ConditionTest: Equatable, Sendable {
        /// The condition operators `audit` understands.
        public enum Operator: String, Equatable, Sendable, CaseIterable {
            case stringEquals = "StringEquals"
            case stringLike = "StringLike"
            case forAnyValueStringLike = "ForAnyValue:StringLike"
        }

        public var test: Operator
        /// The condition key as written (IAM compares keys case-insensitively).
        public var key: String
        public var values: [String]

        public init(test: Operator, key: String, values: [String]) {
            self.test = test
            self.key = key
            self.values = values
        }
    }

    public init(version: String?, statements: [Statement]) {
        self.version = version
        self.statements = statements
    }

    /// Parses a trust policy's JSON text (already URL-decoded); `roleARN` names the role in errors.
    public static func parse(_ text: String, roleARN: String) throws(IAMError) -> TrustPolicyDocument {
        func problem(_ reason: String) -> IAMError { IAMError(roleARN: roleARN, kind: .unreadableTrustPolicy(reason: reason)) }
        let json: JSONValue
        do {
            json = try JSONValue.parse(text)
        } catch {
            throw problem("not JSON: \(error)")
        }
        guard let members = json.objectMembers else { throw problem("the document is not a JSON object") }
        var version: String?
        var statementValue: JSONValue?
        for (key, value) in members {
            switch key {
            case "Version":
                guard let text = value.stringValue else { throw problem("Version is not a string") }
                version = text
            case "Statement": statementValue = value
            case "Id": continue
            default: throw problem("unexpected top-level key \(quoted(key))")
            }
        }
        let statementValues: [JSONValue]
        switch statementValue {
        case let .array(items)?: statementValues = items
        case let value? where value.objectMembers != nil: statementValues = [value]
        case nil: throw problem("no Statement")
        default: throw problem("Statement is neither an object nor a list")
        }
        var statements: [Statement] = []
        for (index, value) in statementValues.enumerated() {
            statements.append(try parseStatement(value, index: index, problem: problem))
        }
        return TrustPolicyDocument(version: version, statements: statements)
    }

    private static func parseStatement(_ value: JSONValue, index: Int, problem: (String) -> IAMError) throws(IAMError)
        -> Statement
    {
        guard let members = value.objectMembers else { throw problem("statement \(index + 1) is not a JSON object") }
        let sid = value["Sid"]?.stringValue
        let label = Statement(sid: sid, effect: .allow, principals: Principals(), actions: [], conditions: [])
            .label(index: index)
        var effect: Statement.Effect?
        var principals: Principals?
        var actions: [String]?
        var conditions: [ConditionTest] = []
        for (key, member) in members {
            switch key {
            case "Sid":
                guard sid != nil else { throw problem("\(label): Sid is not a string") }
            case "Effect":
                guard let text = member.stringValue, let parsed = Statement.Effect(rawValue: text) else {
                    throw problem("\(label): Effect must be \"Allow\" or \"Deny\"")
                }
                effect = parsed
            case "Principal":
                principals = try parsePrincipals(member, label: label, problem: problem)
            case "Action":
                actions = try strings(member, what: "\(label): Action", problem: problem)
            case "Condition":
                conditions = try parseConditions(member, label: label, problem: problem)
            default:
                throw problem("\(label): \(quoted(key)) is not something audit understands (it reads Sid, Effect, Principal, Action and Condition)")
            }
        }
        guard let effect else { throw problem("\(label) has no Effect") }
        guard let principals else { throw problem("\(label) has no Principal") }
        guard let actions else { throw problem("\(label) has no Action") }
        return Statement(sid: sid, effect: effect, principals: principals, actions: actions, conditions: conditions)
    }

    private static func parsePrincipals(_ value: JSONValue, label: String, problem: (String) -> IAMError)
        throws(IAMError) -> Principals
    {
        if value.stringValue == "*" { return Principals(anyone: true) }
        guard let members = value.objectMembers else {
            throw problem("\(label): Principal must be \"*\" or an object of principal types")
        }
        var principals = Principals()
        for (type, list) in members {
            let values = try strings(list, what: "\(label): Principal \(quoted(type))", problem: problem)
            switch type {
            case "AWS": principals.aws += values
            case "Federated": principals.federated += values
            case "Service": principals.service += values
            default: throw problem("\(label): principal type \(quoted(type)) is not one audit understands (AWS, Federated, Service)")
            }
        }
        return principals
    }

    private static func parseConditions(_ value: JSONValue, label: String, problem: (String) -> IAMError)
        throws(IAMError) -> [ConditionTest]
    {
        guard let operators = value.objectMembers else { throw problem("\(label): Condition is not an object") }
        var tests: [ConditionTest] = []
        for (name, keys) in operators {
            guard let test = ConditionTest.Operator(rawValue: name) else {
                let known = ConditionTest.Operator.allCases.map(\.rawValue).joined(separator: ", ")
                throw problem("\(label): condition operator \(quoted(name)) is not one audit understands (\(known))")
            }
            guard let members = keys.objectMembers else { throw problem("\(label): Condition \(quoted(name)) is not an object") }
            for (key, values) in members {
                tests.append(
                    ConditionTest(
                        test: test, key: key,
                        values: try strings(values, what: "\(label): Condition \(name) \(quoted(key))", problem: problem)))
            }
        }
        return tests
    }

    /// A string, or a non-empty list of strings.
    private static func strings(_ value: JSONValue, what: String, problem: (String) -> IAMError) throws(IAMError)
        -> [String]
    {
        switch value {
        case let .string(text): return [text]
        case let .array(items) where !items.isEmpty:
            var texts: [String] = []
            for item in items {
                guard let text = item.stringValue else { throw problem("\(what) holds something that is not a string") }
                texts.append(text)
            }
            return texts
        default:
            throw problem("\(what) must be a string or a non-empty list of strings")
        }
    }

    private static func quoted(_ text: String) -> String { "\"\(LogText.oneLine(text, limit: 64))\"" }
}
