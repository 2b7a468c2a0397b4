import GitLabOIDCAWS
import Glibc

/// What the process gets from the system: its environment, its own path and its working
/// directory. Read only here; the library receives them through `HookContext` and the other
/// contexts.
enum ProcessState {
    /// The value of an environment variable; nil when unset.
    static func variable(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        return String(cString: value)
    }

    /// The process environment, looked up by name and listed.
    static var environment: JobEnvironment { JobEnvironment(lookup: variable, variables: allVariables) }

    /// Every `NAME=VALUE` of the environment.
    static func allVariables() -> [(name: String, value: String)] {
        var result: [(name: String, value: String)] = []
        // `clearenv` leaves `environ` NULL, which Swift imports as a non-optional pointer.
        var entry = environ
        guard unsafeBitCast(entry, to: UInt.self) != 0 else { return result }
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            if let equals = text.utf8.firstIndex(of: UInt8(ascii: "=")) {
                result.append((String(text[..<equals]), String(text[text.utf8.index(after: equals)...])))
            }
            entry += 1
        }
        return result
    }

    /// The absolute path of the running binary, from `/proc/self/exe`; when the binary was
    /// replaced on disk since it started (an upgrade), the path of the new one. In the
    /// container bundle, its launcher (`/proc/self/exe` would be the bundle's loader). Nil
    /// without `/proc`.
    static func executablePath() -> String? {
        if let launcher = ContainerBundle.launcherPath { return launcher }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        let path = String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let deleted = " (deleted)"
        if path.hasSuffix(deleted) { return String(path.dropLast(deleted.count)) }
        return path
    }

    /// The working directory; `/` when it cannot be known (deleted, too long).
    static func workingDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return "/" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
