import CLibcrypto

/// An RSA public key held by OpenSSL's libcrypto, used only to verify token signatures.
public final class RSAPublicKey {
    private let key: OpaquePointer

    /// Builds the key from a JWK's big-endian modulus `n` and exponent `e`.
    public init(modulus: [UInt8], exponent: [UInt8]) throws(CryptoError) {
        guard modulus.count >= 256 else { throw CryptoError("the RSA modulus is shorter than 2048 bits") }
        guard modulus.count <= 2048 else { throw CryptoError("the RSA modulus is longer than 16384 bits") }
        guard !exponent.isEmpty, exponent.count <= 8 else { throw CryptoError("the RSA exponent is invalid") }
        guard let builder = OSSL_PARAM_BLD_new() else { throw CryptoError.last("OSSL_PARAM_BLD_new") }
        defer { OSSL_PARAM_BLD_free(builder) }
        let n = modulus.withUnsafeBufferPointer { BN_bin2bn($0.baseAddress, Int32($0.count), nil) }
        let e = exponent.withUnsafeBufferPointer { BN_bin2bn($0.baseAddress, Int32($0.count), nil) }
        defer {
            BN_free(n)
            BN_free(e)
        }
        guard let n, let e, OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_RSA_N, n) == 1,
            OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_RSA_E, e) == 1,
            let parameters = OSSL_PARAM_BLD_to_param(builder)
        else { throw CryptoError.last("building the RSA key parameters") }
        defer { OSSL_PARAM_free(parameters) }
        guard let context = EVP_PKEY_CTX_new_from_name(nil, "RSA", nil) else {
            throw CryptoError.last("EVP_PKEY_CTX_new_from_name")
        }
        defer { EVP_PKEY_CTX_free(context) }
        var key: OpaquePointer?
        guard EVP_PKEY_fromdata_init(context) == 1,
            EVP_PKEY_fromdata(context, &key, goa_evp_pkey_public_key_selection(), parameters) == 1, let key
        else { throw CryptoError.last("EVP_PKEY_fromdata") }
        self.key = key
    }

    deinit { EVP_PKEY_free(key) }

    /// Whether `signature` is a valid RSASSA-PKCS1-v1_5 signature of `message` with `algorithm`.
    public func verify(signature: [UInt8], message: [UInt8], algorithm: SignatureAlgorithm) -> Bool {
        guard let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        let digest: OpaquePointer?
        switch algorithm {
        case .rs256: digest = EVP_sha256()
        case .rs384: digest = EVP_sha384()
        case .rs512: digest = EVP_sha512()
        }
        guard EVP_DigestVerifyInit(context, nil, digest, nil, key) == 1 else {
            ERR_clear_error()
            return false
        }
        let result = signature.withUnsafeBufferPointer { signatureBuffer in
            message.withUnsafeBufferPointer { messageBuffer in
                EVP_DigestVerify(
                    context, signatureBuffer.baseAddress, signatureBuffer.count, messageBuffer.baseAddress,
                    messageBuffer.count)
            }
        }
        ERR_clear_error()
        return result == 1
    }
}

/// A libcrypto failure, with OpenSSL's own error text.
public struct CryptoError: Error, Equatable, Sendable, CustomStringConvertible {
    public let description: String

    init(_ description: String) { self.description = description }

    /// The newest error on OpenSSL's queue, which is then cleared.
    static func last(_ operation: String) -> CryptoError {
        let code = ERR_get_error()
        ERR_clear_error()
        guard code != 0 else { return CryptoError("\(operation) failed") }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return CryptoError("\(operation) failed: \(text)")
    }
}
