/// Decoding of string contents the parser has validated.
enum StringDecoding {
    /// Appends the value of `content` (the bytes between the quotes) to `output`: with
    /// `escapes`, backslash escapes and line-ending backslashes are resolved; a CR before an LF
    /// is dropped in any case (a multi-line string's CRLF reads as LF).
    static func decode(_ content: UnsafeBufferPointer<UInt8>, escapes: Bool, into output: inout [UInt8]) {
        var index = 0
        let end = content.count
        while index < end {
            let byte = content[index]
            if byte == ASCII.carriageReturn, index + 1 < end, content[index + 1] == ASCII.lineFeed {
                index += 1
                continue
            }
            guard escapes, byte == ASCII.backslash else {
                output.append(byte)
                index += 1
                continue
            }
            let escape = content[index + 1]
            index += 2
            switch escape {
            case UInt8(ascii: "b"): output.append(0x08)
            case UInt8(ascii: "t"): output.append(0x09)
            case UInt8(ascii: "n"): output.append(0x0A)
            case UInt8(ascii: "f"): output.append(0x0C)
            case UInt8(ascii: "r"): output.append(0x0D)
            case UInt8(ascii: "\""): output.append(ASCII.quote)
            case ASCII.backslash: output.append(ASCII.backslash)
            case UInt8(ascii: "u"), UInt8(ascii: "U"):
                let digits = escape == UInt8(ascii: "u") ? 4 : 8
                var scalar: UInt32 = 0
                for offset in 0..<digits { scalar = scalar << 4 | UInt32(ASCII.hexValue(content[index + offset])) }
                index += digits
                appendUTF8(scalar, to: &output)
            default:
                // A line-ending backslash: whitespace and line breaks up to the next other
                // character are dropped.
                index -= 1
                while index < end, ASCII.isWhitespaceOrLineBreak(content[index]) { index += 1 }
            }
        }
    }

    /// Appends a Unicode scalar value (validated) as UTF-8.
    static func appendUTF8(_ scalar: UInt32, to output: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            output.append(UInt8(scalar))
        case 0x80..<0x800:
            output.append(UInt8(0xC0 | scalar >> 6))
            output.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            output.append(UInt8(0xE0 | scalar >> 12))
            output.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            output.append(UInt8(0x80 | scalar & 0x3F))
        default:
            output.append(UInt8(0xF0 | scalar >> 18))
            output.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            output.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            output.append(UInt8(0x80 | scalar & 0x3F))
        }
    }
}

/// Byte constants and classes.
enum ASCII {
    static let tab: UInt8 = 0x09
    static let lineFeed: UInt8 = 0x0A
    static let carriageReturn: UInt8 = 0x0D
    static let space: UInt8 = 0x20
    static let quote: UInt8 = 0x22
    static let hash: UInt8 = 0x23
    static let apostrophe: UInt8 = 0x27
    static let plus: UInt8 = 0x2B
    static let comma: UInt8 = 0x2C
    static let minus: UInt8 = 0x2D
    static let dot: UInt8 = 0x2E
    static let colon: UInt8 = 0x3A
    static let equals: UInt8 = 0x3D
    static let openBracket: UInt8 = 0x5B
    static let backslash: UInt8 = 0x5C
    static let closeBracket: UInt8 = 0x5D
    static let underscore: UInt8 = 0x5F
    static let openBrace: UInt8 = 0x7B
    static let closeBrace: UInt8 = 0x7D
    static let delete: UInt8 = 0x7F

    @inline(__always) static func isDigit(_ byte: UInt8) -> Bool { byte &- 0x30 < 10 }

    @inline(__always) static func isLetter(_ byte: UInt8) -> Bool { (byte | 0x20) &- 0x61 < 26 }

    /// `A-Za-z0-9_-`: a bit per ASCII character, below 64 and from 64.
    @inline(__always) static func isBareKey(_ byte: UInt8) -> Bool {
        let below64: UInt64 = 0x03FF_2000_0000_0000
        let from64: UInt64 = 0x07FF_FFFE_87FF_FFFE
        return byte < 128 && ((byte < 64 ? below64 : from64) >> (byte & 63)) & 1 != 0
    }

    /// Characters a number, boolean or date-time token can be made of (and what a mistyped
    /// one probably continues with): `A-Za-z0-9_-+.:`.
    @inline(__always) static func isValueWord(_ byte: UInt8) -> Bool {
        isBareKey(byte) || byte == plus || byte == dot || byte == colon
    }

    @inline(__always) static func isSpace(_ byte: UInt8) -> Bool { byte == space || byte == tab }

    /// `classes` bits.
    static let bareKeyClass: UInt8 = 1
    static let valueWordClass: UInt8 = 2

    /// The classes of every byte value (`bareKeyClass`, `valueWordClass`), for loops that
    /// classify one byte per step.
    static let classes: [UInt8] = (0...255).map { (byte: Int) -> UInt8 in
        (isBareKey(UInt8(byte)) ? bareKeyClass : 0) | (isValueWord(UInt8(byte)) ? valueWordClass : 0)
    }

    static func isWhitespaceOrLineBreak(_ byte: UInt8) -> Bool {
        byte == space || byte == tab || byte == lineFeed || byte == carriageReturn
    }

    /// The value of a hexadecimal digit, or 0xFF.
    @inline(__always) static func hexValue(_ byte: UInt8) -> UInt8 {
        if isDigit(byte) { return byte &- 0x30 }
        let lower = byte | 0x20
        if lower &- 0x61 < 6 { return lower &- 0x61 &+ 10 }
        return 0xFF
    }

    /// `true` for characters TOML forbids in strings and comments: U+0000 to U+001F except tab,
    /// and U+007F (line breaks are handled before this is asked).
    @inline(__always) static func isControl(_ byte: UInt8) -> Bool {
        (byte < 0x20 && byte != tab) || byte == delete
    }
}

/// Word-at-a-time scanning.
enum Scan {
    /// The first offset from `start` whose byte is `quote`, a backslash (with `backslash`), a
    /// control character (U+0000 to U+001F: tabs and line breaks too), U+007F, or part of a
    /// multi-byte character (0x80 and above). `quote` 0 stands for none.
    ///
    /// Reads eight bytes at a time, so the input must be followed by at least eight readable
    /// bytes of which the first is zero, and `start` must be at most the input's length.
    /// Each test below flags the high bit of every byte it matches and possibly of bytes above
    /// (after a borrow), never below; the lowest flagged byte is the first match.
    @inline(__always) static func plain(_ text: UnsafePointer<UInt8>, from start: Int, quote: UInt8, backslash: Bool)
        -> Int
    {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highBits: UInt64 = 0x8080_8080_8080_8080
        let quotes = ones &* UInt64(quote)
        let backslashes = ones &* UInt64(backslash ? ASCII.backslash : quote)
        let deletes = ones &* UInt64(ASCII.delete)
        var index = start
        while true {
            let word = UInt64(littleEndian: UnsafeRawPointer(text + index).loadUnaligned(as: UInt64.self))
            let quoted = word ^ quotes
            let backslashed = word ^ backslashes
            let deleted = word ^ deletes
            let special =
                (((word &- ones &* 0x20) & ~word) | word | ((quoted &- ones) & ~quoted)
                    | ((backslashed &- ones) & ~backslashed) | ((deleted &- ones) & ~deleted)) & highBits
            if special != 0 { return index + special.trailingZeroBitCount >> 3 }
            index += 8
        }
    }
}
