import CSupport

/// SHA-2 digests and HMAC-SHA256 through libcrypto's one-shot functions.
public enum Digest {
    /// The SHA-2 variants the hook uses.
    public enum Algorithm: Int, Sendable {
        case sha256 = 256
        case sha384 = 384
        case sha512 = 512

        /// The digest's length in bytes.
        public var length: Int { rawValue / 8 }
    }

    /// The digest of `bytes`.
    public static func sha2(_ algorithm: Algorithm, _ bytes: some ByteBuffer) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: algorithm.length) { output, count in
            count = bytes.withUnsafeBytes { input in
                Int(goa_sha2(Int32(algorithm.rawValue), input.bindMemory(to: UInt8.self).baseAddress, input.count, output.baseAddress))
            }
            // libcrypto's SHA-2 cannot fail on a valid buffer.
            precondition(count == algorithm.length, "SHA-2 failed in libcrypto")
        }
    }

    /// The 32-byte SHA-256 digest of `bytes`.
    public static func sha256(_ bytes: some ByteBuffer) -> [UInt8] { sha2(.sha256, bytes) }

    /// The 32-byte HMAC-SHA256 of `bytes` under `key`.
    public static func hmacSHA256(key: some ByteBuffer, _ bytes: some ByteBuffer) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: 32) { output, count in
            let ok = key.withUnsafeBytes { keyBytes in
                bytes.withUnsafeBytes { input in
                    goa_hmac_sha256(
                        keyBytes.bindMemory(to: UInt8.self).baseAddress, keyBytes.count,
                        input.bindMemory(to: UInt8.self).baseAddress, input.count, output.baseAddress)
                }
            }
            // HMAC-SHA256 in libcrypto fails only when it cannot allocate.
            precondition(ok == 1, "HMAC-SHA256 failed in libcrypto")
            count = 32
        }
    }

    /// The 32-byte SHA-256 digest of a string's UTF-8 bytes.
    public static func sha256(_ text: String) -> [UInt8] { sha256(Array(text.utf8)) }

    /// Lower-case hexadecimal of `bytes`.
    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 15)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

/// Contiguous bytes that libcrypto can read in place.
public protocol ByteBuffer {
    func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result
}

extension Array: ByteBuffer where Element == UInt8 {}
extension ArraySlice: ByteBuffer where Element == UInt8 {}
