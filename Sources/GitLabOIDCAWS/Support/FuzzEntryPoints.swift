/// Functions a libFuzzer harness calls with arbitrary bytes. Each must return normally for
/// every input: a crash, a trap or a hang is a bug.
public enum FuzzEntryPoints {
    /// Decodes `bytes` as a compiled mapping and, when that succeeds, scans its rules against
    /// fixed claims and decodes each rule (the first 1,000). The expected source digest is
    /// taken from the bytes themselves (offset 16) and the trailing checksum is recomputed,
    /// so that inputs reach the settings and rule decoders; a harness should start from
    /// compiled mappings written by `CompiledMapping.encode` (or `gitlab-oidc-aws compile`).
    public static func compiledMapping(_ bytes: [UInt8]) {
        var input = bytes
        if input.count >= CompiledMapping.headerSize + CompiledMapping.digestSize {
            // Make the checksum right, so that mutations inside the body get decoded.
            let bodyEnd = input.count - CompiledMapping.digestSize
            input.replaceSubrange(bodyEnd..., with: SHA256.digest(input[..<bodyEnd]))
        }
        let digest = input.count >= 48 ? Array(input[16..<48]) : []
        guard let compiled = try? CompiledMapping(bytes: input, sourceDigest: digest, path: "fuzz.toml") else { return }
        let claims = Claims(strings: [
            ("project_path", "group/project"), ("ref", "main"), ("ref_type", "branch"), ("ref_protected", "true"),
        ])
        _ = try? compiled.firstMatch(claims: claims)
        for index in 0..<min(compiled.ruleCount, 1000) { _ = try? compiled.rule(at: index) }
    }
}
