import CLibcrypto

/// SHA-256 through libcrypto.
public enum SHA256 {
    /// The 32-byte digest of `bytes`.
    public static func digest(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        let ok = bytes.withUnsafeBufferPointer { input in
            digest.withUnsafeMutableBufferPointer { output in
                goa_sha256(input.baseAddress, input.count, output.baseAddress)
            }
        }
        // SHA-256 in libcrypto cannot fail on a valid buffer.
        precondition(ok == 1, "SHA-256 failed in libcrypto")
        return digest
    }

    /// The 32-byte digest of `bytes`.
    public static func digest(_ bytes: [UInt8]) -> [UInt8] { digest(bytes[...]) }
}
