import Glibc
import GitLabOIDCAWS

extension FuzzTargets {
    /// A key set as the issuer serves it: parsing (`JSONWebKeySet`), the key checks, and a
    /// seed token verified against it through `KeySetSource` and `TokenVerifier` (the seed
    /// key's `kid` in a mutated set reaches the signature check with a mutated key).
    public static func keySet(_ input: [UInt8]) {
        if let json = try? JSONValue.parse(input), case let .success(parsed) = JSONWebKeySet.parse(json) {
            for key in parsed.keys where key.problem == nil {
                precondition(
                    (try? RSAPublicKey(modulus: key.modulus, exponent: key.exponent)) != nil,
                    "a key without a problem cannot be built")
            }
        }
        let issuer = LocalIssuer(document: input)
        do {
            _ = try issuer.verifier().verify(SeedKeySet.validToken)
        } catch {
            checkMessage(error.description)
        }
        precondition(issuer.requests <= 2, "\(issuer.requests) key-set fetches for one token")
    }

    /// The key-set cache file (`KeySetCacheEntry.decode`), which any job on a shell executor
    /// can rewrite. The first byte picks the file's owner and mode and whether the mapping
    /// sets `jwks_url`; the rest is the file. An entry that is accepted must be one the hook
    /// could have written, fresh, with keys a real issuer publishes, and must survive being
    /// written again.
    public static func keySetCache(_ input: [UInt8]) {
        let selector = input.first ?? 0
        let owner: UInt32 = selector & 1 == 0 ? 1000 : 1001
        let permissions: mode_t = selector & 2 == 0 ? 0o600 : 0o664
        let configured = selector & 4 == 0 ? nil : LocalIssuer.keySetURL
        let bytes = Array(input.dropFirst())
        let result = KeySetCacheEntry.decode(
            bytes, ownership: FileSystem.Ownership(owner: owner, permissions: permissions), user: 1000,
            issuer: FuzzTargets.issuer, configuredKeySetURL: configured, now: FuzzTargets.now)
        switch result {
        case let .failure(problem):
            checkMessage(problem.description)
        case let .success(entry):
            precondition(owner == 1000 && permissions & 0o022 == 0, "a cache file of someone else was used")
            precondition(bytes.count <= KeySetCacheEntry.maximumSize)
            let age = FuzzTargets.now - entry.fetchedAt
            precondition(
                age >= -KeySetCacheEntry.clockSkew && age < KeySetCacheEntry.lifetime, "a stale cache was used")
            precondition(configured == nil || configured == entry.keySetURL, "a cache for another jwks_url was used")
            precondition(!entry.keySet.keys.isEmpty && entry.keySet.keys.count <= KeySetCacheEntry.maximumKeys)
            for key in entry.keySet.keys { precondition(key.problem == nil, "a cached key with a problem was used") }
            let rewritten = KeySetCacheEntry.encode(
                issuer: entry.issuer, keySetURL: entry.keySetURL, fetchedAt: entry.fetchedAt, document: entry.document)
            let again = KeySetCacheEntry.decode(
                rewritten, ownership: FileSystem.Ownership(owner: 1000, permissions: 0o600), user: 1000,
                issuer: FuzzTargets.issuer, configuredKeySetURL: configured, now: FuzzTargets.now)
            precondition(again == .success(entry), "a cache entry does not survive being written again")
        }
    }
}
