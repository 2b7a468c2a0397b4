/// One session tag sent with a chained `AssumeRole`.
public struct SessionTag: Equatable, Sendable {
    public let key: String
    public let value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

/// Renders a chain hop's session tags from the token's verified claims, within AWS's rules
/// for tags.
public enum SessionTags {
    /// AWS's longest tag key, in characters.
    public static let maximumKeyLength = 128
    /// AWS's longest tag value, in characters.
    public static let maximumValueLength = 256

    /// The tags of `templates` whose placeholders all name claims the token has (a tag whose
    /// claim is missing is left out), each sanitised; and the keys of `transitiveKeys` whose
    /// tags were kept, in their rendered form.
    public static func render(_ templates: [SessionTagTemplate], transitiveKeys: [String], claims: Claims) -> (
        tags: [SessionTag], transitiveKeys: [String]
    ) {
        var tags: [SessionTag] = []
        var kept: [String: String] = [:]
        for template in templates {
            guard let value = substitute(template.value, claims: claims) else { continue }
            let key = sanitise(template.key, limit: maximumKeyLength)
            guard !key.isEmpty else { continue }
            tags.append(SessionTag(key: key, value: sanitise(value, limit: maximumValueLength)))
            kept[template.key] = key
        }
        return (tags, transitiveKeys.compactMap { kept[$0] })
    }

    /// `template` with each `{claim}` replaced by the claim's value; nil when a claim is missing.
    static func substitute(_ template: String, claims: Claims) -> String? {
        var result = ""
        var placeholder: String?
        for character in template {
            if character == "{" && placeholder == nil {
                placeholder = ""
            } else if character == "}", let name = placeholder {
                guard let value = claims.string(name) else { return nil }
                result += value
                placeholder = nil
            } else if placeholder != nil {
                placeholder!.append(character)
            } else {
                result.append(character)
            }
        }
        if let placeholder { result += "{" + placeholder }
        return result
    }

    /// `text` with every character outside AWS's tag set (`[\p{L}\p{Z}\p{N}_.:/=+\-@]`)
    /// replaced by `-`, cut to `limit` characters.
    public static func sanitise(_ text: String, limit: Int) -> String {
        var scalars = String.UnicodeScalarView()
        var count = 0
        for scalar in text.unicodeScalars {
            if count == limit { break }
            scalars.append(isAllowed(scalar) ? scalar : "-")
            count += 1
        }
        return String(scalars)
    }

    /// Letters, separators, numbers and `_ . : / = + - @`.
    static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "_", ".", ":", "/", "=", "+", "-", "@": return true
        default: break
        }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .spaceSeparator, .lineSeparator, .paragraphSeparator,
            .decimalNumber, .letterNumber, .otherNumber:
            return true
        default:
            return false
        }
    }
}
