/// Renders a chain hop's session tags from the token's verified claims, sanitised to AWS's
/// rules for tags (`SessionTag.sanitised`).
public enum SessionTags {
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
            let tag = SessionTag.sanitised(key: template.key, value: value)
            guard !tag.key.isEmpty else { continue }
            tags.append(tag)
            kept[template.key] = tag.key
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
}
