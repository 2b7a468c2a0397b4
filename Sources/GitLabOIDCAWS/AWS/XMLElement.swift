/// A small, strict XML reader for the documents STS sends: elements, attributes (read and
/// ignored), text, the five predefined entities, numeric character references, comments,
/// CDATA and the XML declaration. No DTDs (refused), no external anything.
public struct XMLElement: Equatable, Sendable {
    public let name: String
    public var children: [XMLElement]
    public var text: String

    /// The first child with the local name `name` (namespace prefixes are ignored).
    public func child(_ name: String) -> XMLElement? {
        children.first { $0.localName == name }
    }

    /// Follows a path of child names.
    public func descendant(_ path: String...) -> XMLElement? {
        var current: XMLElement? = self
        for name in path { current = current?.child(name) }
        return current
    }

    /// The name without a namespace prefix.
    public var localName: String {
        guard let colon = name.lastIndex(of: ":") else { return name }
        return String(name[name.index(after: colon)...])
    }

    /// Parses a whole document and returns its root element.
    public static func parse(_ bytes: [UInt8]) throws(XMLError) -> XMLElement {
        var parser = XMLParser(bytes: bytes)
        return try parser.parseDocument()
    }
}

/// Why an answer is not well-formed XML; `offset` is the byte position.
public struct XMLError: Error, Equatable, Sendable, CustomStringConvertible {
    public let reason: String
    public let offset: Int
    public var description: String { "\(reason) at byte \(offset)" }
}

private struct XMLParser {
    let bytes: [UInt8]
    var position = 0
    static let maximumDepth = 32

    init(bytes: [UInt8]) { self.bytes = bytes }

    func fail(_ reason: String) -> XMLError { XMLError(reason: reason, offset: position) }

    var atEnd: Bool { position >= bytes.count }

    func peek(_ text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard position + count <= bytes.count else { return false }
        return text.withUTF8Buffer { bytes[position..<position + count].elementsEqual($0) }
    }

    mutating func skipSpace() {
        while !atEnd, bytes[position] == 0x20 || bytes[position] == 0x09 || bytes[position] == 0x0A || bytes[position] == 0x0D {
            position += 1
        }
    }

    mutating func skipPast(_ terminator: StaticString) throws(XMLError) {
        while !atEnd {
            if peek(terminator) {
                position += terminator.utf8CodeUnitCount
                return
            }
            position += 1
        }
        throw fail("unterminated construct, expected \(terminator)")
    }

    /// Skips the declaration, comments, processing instructions and white space.
    mutating func skipMisc() throws(XMLError) {
        while true {
            skipSpace()
            if peek("<?") {
                try skipPast("?>")
            } else if peek("<!--") {
                try skipPast("-->")
            } else if peek("<!") {
                throw fail("document type declarations are not accepted")
            } else {
                return
            }
        }
    }

    mutating func parseDocument() throws(XMLError) -> XMLElement {
        if peek("\u{FEFF}") { position += 3 }
        try skipMisc()
        guard peek("<") else { throw fail(atEnd ? "empty document" : "expected an element") }
        let root = try parseElement(depth: 0)
        try skipMisc()
        guard atEnd else { throw fail("content after the root element") }
        return root
    }

    func isNameByte(_ byte: UInt8) -> Bool {
        byte >= 0x80 || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A)
            || (byte >= 0x30 && byte <= 0x39) || byte == 0x5F || byte == 0x2D || byte == 0x2E || byte == 0x3A
    }

    mutating func parseName() throws(XMLError) -> String {
        let start = position
        while !atEnd && isNameByte(bytes[position]) { position += 1 }
        guard position > start else { throw fail("expected a name") }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    mutating func parseElement(depth: Int) throws(XMLError) -> XMLElement {
        guard depth < XMLParser.maximumDepth else { throw fail("elements nested too deeply") }
        position += 1  // "<"
        let name = try parseName()
        // Attributes: read and ignore.
        while true {
            skipSpace()
            guard !atEnd else { throw fail("unterminated start tag <\(name)>") }
            if peek("/>") {
                position += 2
                return XMLElement(name: name, children: [], text: "")
            }
            if peek(">") {
                position += 1
                break
            }
            _ = try parseName()
            skipSpace()
            guard peek("=") else { throw fail("expected = after an attribute name") }
            position += 1
            skipSpace()
            guard !atEnd, bytes[position] == 0x22 || bytes[position] == 0x27 else { throw fail("expected a quoted attribute value") }
            let quote = bytes[position]
            position += 1
            while !atEnd && bytes[position] != quote {
                if bytes[position] == UInt8(ascii: "<") { throw fail("< in an attribute value") }
                position += 1
            }
            guard !atEnd else { throw fail("unterminated attribute value") }
            position += 1
        }
        var element = XMLElement(name: name, children: [], text: "")
        var text: [UInt8] = []
        while true {
            guard !atEnd else { throw fail("unterminated element <\(name)>") }
            let byte = bytes[position]
            if byte != UInt8(ascii: "<") && byte != UInt8(ascii: "&") {
                text.append(byte)
                position += 1
            } else if peek("</") {
                position += 2
                let closing = try parseName()
                guard closing == name else { throw fail("</\(closing)> closes <\(name)>") }
                skipSpace()
                guard peek(">") else { throw fail("expected > after </\(closing)") }
                position += 1
                element.text = String(decoding: text, as: UTF8.self)
                return element
            } else if peek("<!--") {
                try skipPast("-->")
            } else if peek("<![CDATA[") {
                position += 9
                let start = position
                try skipPast("]]>")
                text.append(contentsOf: bytes[start..<position - 3])
            } else if peek("<?") {
                try skipPast("?>")
            } else if peek("<!") {
                throw fail("declarations are not accepted inside elements")
            } else if peek("<") {
                element.children.append(try parseElement(depth: depth + 1))
            } else {
                text.append(contentsOf: try parseReference())
            }
        }
    }

    mutating func parseReference() throws(XMLError) -> [UInt8] {
        let start = position
        position += 1
        while !atEnd && bytes[position] != UInt8(ascii: ";") && position - start < 12 { position += 1 }
        guard !atEnd, bytes[position] == UInt8(ascii: ";") else { throw fail("unterminated entity reference") }
        let name = String(decoding: bytes[start + 1..<position], as: UTF8.self)
        position += 1
        switch name {
        case "amp": return Array("&".utf8)
        case "lt": return Array("<".utf8)
        case "gt": return Array(">".utf8)
        case "quot": return Array("\"".utf8)
        case "apos": return Array("'".utf8)
        default:
            var value: UInt32?
            if name.hasPrefix("#x") {
                value = UInt32(name.dropFirst(2), radix: 16)
            } else if name.hasPrefix("#") {
                value = UInt32(name.dropFirst(), radix: 10)
            }
            guard let value, let scalar = Unicode.Scalar(value), value != 0 else {
                throw fail("unknown entity or invalid character reference")
            }
            return Array(String(Character(scalar)).utf8)
        }
    }
}
