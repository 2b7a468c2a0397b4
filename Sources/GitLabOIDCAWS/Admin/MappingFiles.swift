import Glibc

/// What `check` (and `doctor`) find about the files around the mapping: the CA bundle it
/// names and what an earlier version left next to it. Unlike loading, this reads other files.
public enum MappingFiles {
    /// What keeps the file at `path` from serving as `ca_file`, or nil when it is a readable
    /// regular file with at least one PEM certificate.
    public static func caFileProblem(_ path: String) -> String? {
        guard FileSystem.isReadableFile(path) else {
            return "is not a regular file this user can read"
        }
        guard let bytes = try? FileSystem.read(path, limit: 16 << 20) else {
            return "cannot be read (or is larger than 16 MiB)"
        }
        guard String(decoding: bytes, as: UTF8.self).contains("-----BEGIN CERTIFICATE-----") else {
            return "holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
        }
        return nil
    }

    /// The file `compile` wrote next to the mapping in earlier versions, when it is still there.
    public static func leftoverCompiledFile(of path: String) -> String? {
        let compiled = path + ".compiled"
        var status = stat()
        return lstat(compiled, &status) == 0 ? compiled : nil
    }

    /// Warnings about the CA bundle and a leftover compiled file.
    public static func findings(_ loaded: LoadedMapping) -> [ConfigDiagnostic] {
        let mapping = loaded.mapping
        var result: [ConfigDiagnostic] = []
        if let caFile = mapping.caFile, let problem = caFileProblem(caFile) {
            result.append(
                ConfigDiagnostic(
                    file: mapping.path, line: loaded.line(ofSetting: "ca_file") ?? 1,
                    severity: .warning,
                    message:
                        "`ca_file` \(quoted(caFile)) \(problem): every HTTPS call of the hook would fail; give the path of a PEM bundle that the user running the hook can read"
                ))
        }
        if let compiled = leftoverCompiledFile(of: mapping.path) {
            result.append(
                ConfigDiagnostic(
                    file: mapping.path, line: 0, severity: .warning,
                    message:
                        "\(compiled) is left over from the `compile` step of earlier versions; nothing reads it any more, delete it"
                ))
        }
        return result
    }
}
