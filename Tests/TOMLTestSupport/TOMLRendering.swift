import TOML

/// Writes a parsed document back as TOML: one `key = value` line per top-level key, nested
/// tables as inline tables, every key and string quoted. Parsing the result gives the same
/// values (`TOMLComparison.difference` finds none), which the fuzz target checks.
public enum TOMLRenderer {
    public static func render(_ document: TOMLDocument) -> String {
        var output = ""
        for entry in document.root {
            writeString(entry.key, to: &output)
            output += " = "
            write(entry.value, to: &output)
            output += "\n"
        }
        return output
    }

    static func write(_ value: TOMLValue, to output: inout String) {
        switch value.kind {
        case .string:
            writeString(value.string!, to: &output)
        case .integer:
            output += String(value.integer!)
        case .float:
            output += TaggedValue.floatText(value.float!)
        case .boolean:
            output += value.boolean! ? "true" : "false"
        case .offsetDateTime, .localDateTime, .localDate, .localTime:
            output += value.dateTime!.text
        case .array:
            output += "["
            for (index, element) in value.array!.enumerated() {
                if index > 0 { output += ", " }
                write(element, to: &output)
            }
            output += "]"
        case .table:
            output += "{"
            for (index, entry) in value.table!.enumerated() {
                output += index > 0 ? ", " : " "
                writeString(entry.key, to: &output)
                output += " = "
                write(entry.value, to: &output)
            }
            output += " }"
        }
    }

    /// A basic string, with escapes for quotes, backslashes and control characters.
    public static func writeString(_ text: String, to output: inout String) {
        output += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16, uppercase: true)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }
}

/// Compares parsed values.
public enum TOMLComparison {
    /// nil when both values are the same: same kinds, same keys in the same order, strings
    /// with the same scalars, floats with the same bits (any NaN equals a NaN of the same
    /// sign), date-times with the same text. Otherwise the path of the first difference.
    public static func difference(_ left: TOMLValue, _ right: TOMLValue, path: String = "") -> String? {
        guard left.kind == right.kind else { return "\(path): \(left.kind) against \(right.kind)" }
        switch left.kind {
        case .string:
            return left.string == right.string ? nil : "\(path): string \(left.string!) against \(right.string!)"
        case .integer:
            return left.integer == right.integer ? nil : "\(path): \(left.integer!) against \(right.integer!)"
        case .float:
            let (a, b) = (left.float!, right.float!)
            let same = a.isNaN ? b.isNaN && a.sign == b.sign : a.bitPattern == b.bitPattern
            return same ? nil : "\(path): float \(a) against \(b)"
        case .boolean:
            return left.boolean == right.boolean ? nil : "\(path): \(left.boolean!) against \(right.boolean!)"
        case .offsetDateTime, .localDateTime, .localDate, .localTime:
            return left.dateTime == right.dateTime ? nil : "\(path): \(left.dateTime!) against \(right.dateTime!)"
        case .array:
            let (a, b) = (left.array!, right.array!)
            guard a.count == b.count else { return "\(path): \(a.count) elements against \(b.count)" }
            for (index, pair) in zip(a, b).enumerated() {
                if let found = difference(pair.0, pair.1, path: "\(path)[\(index)]") { return found }
            }
            return nil
        case .table:
            let (a, b) = (left.table!, right.table!)
            guard a.count == b.count else { return "\(path): \(a.count) keys against \(b.count)" }
            for (left, right) in zip(a, b) {
                guard left.key == right.key else { return "\(path): key \(left.key) against \(right.key)" }
                if let found = difference(left.value, right.value, path: "\(path).\(left.key)") { return found }
            }
            return nil
        }
    }
}

/// Checks the positions of a parsed document against its source.
public enum PositionCheck {
    /// Every key and value position that does not point at what it should: a key at its first
    /// character or quote; a string at its quote, a number at its first digit or sign, an
    /// array or inline table at its bracket or brace, a table from a header at the header's
    /// `[`, a table created by a key path at that key. Empty when all are right.
    public static func problems(in document: TOMLDocument) -> [String] {
        let source = Array(document.source)
        var lineStarts = [source.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0]
        for (index, byte) in source.enumerated() where byte == 0x0A { lineStarts.append(index + 1) }

        func byte(at position: TOMLPosition) -> UInt8? {
            guard position.line >= 1, position.line <= lineStarts.count, position.column >= 1 else { return nil }
            var index = lineStarts[position.line - 1]
            var column = 1
            while column < position.column {
                guard index < source.count, source[index] != 0x0A else { return nil }
                index += 1
                while index < source.count, source[index] & 0xC0 == 0x80 { index += 1 }
                column += 1
            }
            return index < source.count ? source[index] : nil
        }
        func startsKey(_ byte: UInt8) -> Bool {
            byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") || byte == UInt8(ascii: "_")
                || byte == UInt8(ascii: "-") || (byte | 0x20) &- 0x61 < 26 || byte &- 0x30 < 10
        }
        func fits(_ value: TOMLValue, _ byte: UInt8) -> Bool {
            switch value.kind {
            case .string: return byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'")
            case .integer, .float: return Array("0123456789+-in".utf8).contains(byte)
            case .boolean: return byte == UInt8(ascii: "t") || byte == UInt8(ascii: "f")
            case .offsetDateTime, .localDateTime, .localDate, .localTime: return byte &- 0x30 < 10
            case .array: return byte == UInt8(ascii: "[")
            case .table:
                switch value.table!.origin {
                case .header, .arrayOfTablesElement: return byte == UInt8(ascii: "[")
                case .inline: return byte == UInt8(ascii: "{")
                case .dottedKey, .implicit: return startsKey(byte)
                case .document: return true
                }
            }
        }
        var problems: [String] = []
        var pending: [(TOMLValue, String)] = [(document.root.value, "")]
        while let (value, path) = pending.popLast() {
            if let table = value.table {
                for entry in table {
                    let keyByte = byte(at: entry.keyPosition)
                    if keyByte.map(startsKey) != true {
                        problems.append("\(path).\(entry.key): key position \(entry.keyPosition)")
                    }
                    pending.append((entry.value, "\(path).\(entry.key)"))
                }
            } else if let array = value.array {
                for (index, element) in array.enumerated() { pending.append((element, "\(path)[\(index)]")) }
            }
            if !path.isEmpty, byte(at: value.position).map({ fits(value, $0) }) != true {
                problems.append("\(path): \(value.kind) at \(value.position)")
            }
        }
        return problems
    }
}
