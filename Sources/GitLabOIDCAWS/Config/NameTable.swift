/// A fixed list of names (the keys a table allows, the claims GitLab sends), looked up by
/// their UTF-8 bytes without allocating: the loader looks up every key of a large mapping.
///
/// The names are kept by length, each as words of eight bytes, so that a lookup compares the
/// first word of the few names of the key's length and, for the one that agrees, the rest.
/// The table lives in memory of its own, written once by `init` and only read afterwards
/// (hence `@unchecked Sendable`), so that a lookup touches no reference count.
final class NameTable: @unchecked Sendable {
    let names: [String]
    /// Names longer than this many bytes are not in the table.
    static let maximumLength = 32
    private static let wordsPerName = maximumLength / 8
    /// For each length from 0 to `maximumLength`: where its names start in `order`, then the end.
    private let starts: UnsafeMutablePointer<Int>
    /// The positions of the names, by length.
    private let order: UnsafeMutablePointer<Int>
    /// The words of the names, in `order`, `wordsPerName` each.
    private let words: UnsafeMutablePointer<UInt64>

    init(_ names: [String]) {
        precondition(names.allSatisfy { $0.utf8.count <= NameTable.maximumLength }, "a name longer than 32 bytes")
        self.names = names
        let sorted = names.indices.sorted { (names[$0].utf8.count, $0) < (names[$1].utf8.count, $1) }
        starts = .allocate(capacity: NameTable.maximumLength + 2)
        order = .allocate(capacity: max(names.count, 1))
        words = .allocate(capacity: max(names.count, 1) * NameTable.wordsPerName)
        words.initialize(repeating: 0, count: max(names.count, 1) * NameTable.wordsPerName)
        var next = 0
        for length in 0...NameTable.maximumLength + 1 {
            (starts + length).initialize(to: next)
            while next < sorted.count && names[sorted[next]].utf8.count == length {
                (order + next).initialize(to: sorted[next])
                Array(names[sorted[next]].utf8).withUnsafeBufferPointer { bytes in
                    for index in 0..<NameTable.wordsPerName {
                        words[next * NameTable.wordsPerName + index] = NameTable.word(bytes, from: 8 * index)
                    }
                }
                next += 1
            }
        }
    }

    deinit {
        words.deallocate()
        order.deallocate()
        starts.deallocate()
    }

    /// Eight bytes from `start` (fewer at the end, zero-filled), little-endian.
    @inline(__always) static func word(_ key: UnsafeBufferPointer<UInt8>, from start: Int) -> UInt64 {
        if start + 8 <= key.count {
            return UInt64(littleEndian: UnsafeRawPointer(key.baseAddress! + start).loadUnaligned(as: UInt64.self))
        }
        var word: UInt64 = 0
        var index = start
        while index < key.count {
            word |= UInt64(key[index]) << (8 * UInt64(index - start))
            index += 1
        }
        return word
    }

    /// The position of `key` in `names`, or nil.
    @inline(__always) func index(of key: UnsafeBufferPointer<UInt8>) -> Int? {
        let count = key.count
        guard count <= NameTable.maximumLength else { return nil }
        let first = NameTable.word(key, from: 0)
        var candidate = starts[count]
        let end = starts[count + 1]
        while candidate < end {
            let name = words + candidate * NameTable.wordsPerName
            if name[0] == first {
                var start = 8
                while start < count && NameTable.word(key, from: start) == name[start / 8] { start += 8 }
                if start >= count { return order[candidate] }
            }
            candidate += 1
        }
        return nil
    }

    func contains(_ key: UnsafeBufferPointer<UInt8>) -> Bool { index(of: key) != nil }

    func contains(_ key: String) -> Bool { names.contains(key) }
}
