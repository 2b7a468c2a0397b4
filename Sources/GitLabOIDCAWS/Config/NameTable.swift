import Glibc

/// A fixed list of names (the keys a table allows, the claims GitLab sends), looked up by
/// their UTF-8 bytes without allocating: the loader looks up every key of a large mapping.
///
/// Each name is kept as one word (its length and first seven bytes) in a small hash table,
/// so that a lookup costs one hash, usually one comparison of words, and a `memcmp` only for
/// names longer than seven bytes.
struct NameTable: Sendable {
    let names: [String]
    private let bytes: [[UInt8]]
    /// Open addressing: each slot holds a name's position plus one (0: empty) and its word.
    private let slots: [(position: Int, head: UInt64)]
    private let mask: Int

    init(_ names: [String]) {
        self.names = names
        bytes = names.map { Array($0.utf8) }
        var size = 16
        while size < names.count * 4 { size *= 2 }
        var slots = [(position: Int, head: UInt64)](repeating: (0, 0), count: size)
        for (position, name) in bytes.enumerated() {
            let head = name.withUnsafeBufferPointer(NameTable.head)
            var slot = NameTable.hash(head) & (size - 1)
            while slots[slot].position != 0 { slot = (slot + 1) & (size - 1) }
            slots[slot] = (position + 1, head)
        }
        self.slots = slots
        mask = size - 1
    }

    /// The length and the first (up to) seven bytes of `key` in one word.
    @inline(__always) static func head(_ key: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var word = UInt64(min(key.count, 255)) << 56
        for index in 0..<min(key.count, 7) { word |= UInt64(key[index]) << (8 * UInt64(index)) }
        return word
    }

    @inline(__always) static func hash(_ head: UInt64) -> Int {
        Int(truncatingIfNeeded: (head &* 0x9E37_79B9_7F4A_7C15) >> 40)
    }

    /// The position of `key` in `names`, or nil.
    func index(of key: UnsafeBufferPointer<UInt8>) -> Int? {
        let head = NameTable.head(key)
        return slots.withUnsafeBufferPointer { slots in
            var slot = NameTable.hash(head) & mask
            while true {
                let entry = slots[slot]
                if entry.position == 0 { return nil }
                if entry.head == head {
                    let position = entry.position - 1
                    if key.count <= 7 { return position }
                    let equal = bytes[position].withUnsafeBufferPointer { name in
                        memcmp(name.baseAddress!, key.baseAddress!, key.count) == 0
                    }
                    if equal { return position }
                }
                slot = (slot + 1) & mask
            }
        }
    }

    func contains(_ key: UnsafeBufferPointer<UInt8>) -> Bool { index(of: key) != nil }

    func contains(_ key: String) -> Bool { names.contains(key) }
}
