/// Renders the STS `RoleSessionName` from a template such as `gitlab-{project_id}-{job_id}`.
public enum SessionName {
    /// What is wrong with a template.
    public enum TemplateProblem: Error, Equatable, CustomStringConvertible {
        case unclosedBrace
        case emptyPlaceholder
        case nestedBrace

        public var description: String {
            switch self {
            case .unclosedBrace: return "a `{` has no closing `}`"
            case .emptyPlaceholder: return "`{}` names no claim"
            case .nestedBrace: return "placeholders cannot be nested"
            }
        }
    }

    /// The claim names used as `{placeholders}` in `template`.
    public static func placeholders(in template: String) -> Result<[String], TemplateProblem> {
        var names: [String] = []
        var current: String?
        for character in template {
            if character == "{" {
                if current != nil { return .failure(.nestedBrace) }
                current = ""
            } else if character == "}" {
                guard let name = current else { continue }
                if name.isEmpty { return .failure(.emptyPlaceholder) }
                names.append(name)
                current = nil
            } else if current != nil {
                current!.append(character)
            }
        }
        return current == nil ? .success(names) : .failure(.unclosedBrace)
    }

    /// Renders `template` with claim values: a missing claim renders empty, every character
    /// outside `[\w+=,.@-]` becomes `-`, the result is cut to 64 characters, and a result
    /// shorter than 2 characters falls back to `gitlab-{job_id}`.
    public static func render(_ template: String, claims: Claims) -> String {
        let name = sanitise(substitute(template, claims: claims))
        if name.count >= 2 { return name }
        return sanitise(substitute("gitlab-{job_id}", claims: claims))
    }

    static func substitute(_ template: String, claims: Claims) -> String {
        var result = ""
        var placeholder: String?
        for character in template {
            if character == "{" && placeholder == nil {
                placeholder = ""
            } else if character == "}", let name = placeholder {
                result += claims.string(name) ?? ""
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

    /// Replaces every character STS does not accept in a session name with `-` and cuts the
    /// result to 64 characters.
    public static func sanitise(_ text: String) -> String {
        var bytes: [UInt8] = []
        for scalar in text.unicodeScalars {
            if bytes.count == 64 { break }
            bytes.append(isAllowed(scalar) ? UInt8(scalar.value) : UInt8(ascii: "-"))
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `[\w+=,.@-]` with `\w` in its ASCII meaning, as STS documents it.
    static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "_", "+", "=", ",", ".", "@", "-": return true
        default: return false
        }
    }
}
