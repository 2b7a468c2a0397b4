import CSupport

/// An RSA public key held by OpenSSL's libcrypto, used only to verify token signatures.
public final class RSAPublicKey {
    private let key: OpaquePointer

    /// Builds the key from a JWK's big-endian modulus `n` and exponent `e`.
    public init(modulus: [UInt8], exponent: [UInt8]) throws(CryptoError) {
        guard modulus.count >= 256 else { throw CryptoError("the RSA modulus is shorter than 2048 bits") }
        guard modulus.count <= 2048 else { throw CryptoError("the RSA modulus is longer than 16384 bits") }
        guard !exponent.isEmpty, exponent.count <= 8 else { throw CryptoError("the RSA exponent is invalid") }
        let key = modulus.withUnsafeBufferPointer { n in
            exponent.withUnsafeBufferPointer { e in
                goa_rsa_public_key_new(n.baseAddress, n.count, e.baseAddress, e.count)
            }
        }
        guard let key else { throw CryptoError.last("building the RSA public key") }
        self.key = key
    }

    deinit { goa_rsa_public_key_free(key) }

    /// Whether `signature` is a valid RSASSA-PKCS1-v1_5 signature of `message` with `algorithm`.
    public func verify(signature: [UInt8], message: [UInt8], algorithm: SignatureAlgorithm) -> Bool {
        let bits: Int32
        switch algorithm {
        case .rs256: bits = 256
        case .rs384: bits = 384
        case .rs512: bits = 512
        }
        let result = signature.withUnsafeBufferPointer { signatureBuffer in
            message.withUnsafeBufferPointer { messageBuffer in
                goa_rsa_verify_pkcs1(
                    key, bits, messageBuffer.baseAddress, messageBuffer.count, signatureBuffer.baseAddress,
                    signatureBuffer.count)
            }
        }
        return result == 1
    }
}

/// A libcrypto failure, with OpenSSL's own error text.
public struct CryptoError: Error, Equatable, Sendable, CustomStringConvertible {
    public let description: String

    init(_ description: String) { self.description = description }

    /// The newest error on OpenSSL's queue, which is then cleared.
    static func last(_ operation: String) -> CryptoError {
        var buffer = [CChar](repeating: 0, count: 256)
        guard goa_crypto_last_error(&buffer, buffer.count) != 0 else { return CryptoError("\(operation) failed") }
        let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return CryptoError("\(operation) failed: \(text)")
    }
}
