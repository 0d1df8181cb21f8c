using System.Buffers.Binary;

namespace FunctionsGateway.SignalR.Serverless;

internal enum MsgPackType : byte
{
    Nil,
    Boolean,
    Integer,
    UnsignedInteger,
    Float32,
    Float64,
    String,
    Binary,
    Array,
    Map,
    Extension,
}

// One decoded MessagePack item header; for arrays and maps only the element count.
internal ref struct MsgPackToken
{
    public MsgPackType Type;
    public bool Boolean;
    public long Integer;
    public ulong UnsignedInteger;
    public float Single;
    public double Double;
    public ReadOnlySpan<byte> Bytes;
    public int Count;
}

// A forward-only MessagePack reader over a span that reports malformed input by returning false instead of
// throwing, so hostile upstream bodies cost no exceptions. (MessagePack-CSharp's reader needs memory, not spans.)
internal ref struct MessagePackSpanReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    public MessagePackSpanReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
    }

    public readonly bool End => _position >= _data.Length;

    private readonly int Remaining => _data.Length - _position;

    public bool TryRead(out MsgPackToken token)
    {
        token = default;
        if (_position >= _data.Length)
        {
            return false;
        }

        var code = _data[_position++];
        switch (code)
        {
            case <= 0x7f:
                token.Type = MsgPackType.Integer;
                token.Integer = code;
                return true;
            case <= 0x8f:
                return SetCount(ref token, MsgPackType.Map, code & 0x0f);
            case <= 0x9f:
                return SetCount(ref token, MsgPackType.Array, code & 0x0f);
            case <= 0xbf:
                return TryTake(code & 0x1f, out token.Bytes) && Set(ref token, MsgPackType.String);
            case >= 0xe0:
                token.Type = MsgPackType.Integer;
                token.Integer = (sbyte)code;
                return true;
        }

        switch (code)
        {
            case 0xc0:
                token.Type = MsgPackType.Nil;
                return true;
            case 0xc2:
            case 0xc3:
                token.Type = MsgPackType.Boolean;
                token.Boolean = code == 0xc3;
                return true;
            case 0xc4:
            case 0xc5:
            case 0xc6:
                return TryReadLength(code - 0xc4, out var binLength) && TryTake(binLength, out token.Bytes) && Set(ref token, MsgPackType.Binary);
            case 0xc7:
            case 0xc8:
            case 0xc9:
                return TryReadLength(code - 0xc7, out var extLength) && TryTake(1 + extLength, out token.Bytes) && Set(ref token, MsgPackType.Extension);
            case 0xca:
                if (!TryTake(4, out var f32))
                {
                    return false;
                }

                token.Type = MsgPackType.Float32;
                token.Single = BinaryPrimitives.ReadSingleBigEndian(f32);
                return true;
            case 0xcb:
                if (!TryTake(8, out var f64))
                {
                    return false;
                }

                token.Type = MsgPackType.Float64;
                token.Double = BinaryPrimitives.ReadDoubleBigEndian(f64);
                return true;
            case 0xcc:
            case 0xcd:
            case 0xce:
            case 0xcf:
                if (!TryReadUnsigned(1 << (code - 0xcc), out var unsigned))
                {
                    return false;
                }

                if (unsigned <= long.MaxValue)
                {
                    token.Type = MsgPackType.Integer;
                    token.Integer = (long)unsigned;
                }
                else
                {
                    token.Type = MsgPackType.UnsignedInteger;
                    token.UnsignedInteger = unsigned;
                }

                return true;
            case 0xd0:
            case 0xd1:
            case 0xd2:
            case 0xd3:
                token.Type = MsgPackType.Integer;
                return TryReadSigned(1 << (code - 0xd0), out token.Integer);
            case >= 0xd4 and <= 0xd8:
                return TryTake(1 + (1 << (code - 0xd4)), out token.Bytes) && Set(ref token, MsgPackType.Extension);
            case 0xd9:
            case 0xda:
            case 0xdb:
                return TryReadLength(code - 0xd9, out var strLength) && TryTake(strLength, out token.Bytes) && Set(ref token, MsgPackType.String);
            case 0xdc:
            case 0xdd:
                return TryReadLength(code - 0xdc + 1, out var arrayCount) && SetCount(ref token, MsgPackType.Array, arrayCount);
            case 0xde:
            case 0xdf:
                return TryReadLength(code - 0xde + 1, out var mapCount) && SetCount(ref token, MsgPackType.Map, mapCount);
            default:
                return false; // 0xc1 is never used.
        }
    }

    // Skips one complete value; false on malformed data or nesting deeper than maxDepth.
    public bool TrySkip(int depth, int maxDepth)
    {
        if (!TryRead(out var token))
        {
            return false;
        }

        if (token.Type is not (MsgPackType.Array or MsgPackType.Map))
        {
            return true;
        }

        if (depth >= maxDepth)
        {
            return false;
        }

        var items = token.Type == MsgPackType.Map ? token.Count * 2L : token.Count;
        for (long i = 0; i < items; i++)
        {
            if (!TrySkip(depth + 1, maxDepth))
            {
                return false;
            }
        }

        return true;
    }

    private static bool Set(ref MsgPackToken token, MsgPackType type)
    {
        token.Type = type;
        return true;
    }

    private readonly bool SetCount(ref MsgPackToken token, MsgPackType type, int count)
    {
        // Every element takes at least one byte, so a count beyond the remaining bytes is a lie.
        var minBytes = type == MsgPackType.Map ? count * 2L : count;
        if (minBytes > Remaining)
        {
            return false;
        }

        token.Type = type;
        token.Count = count;
        return true;
    }

    // sizeClass 0 = 1 byte, 1 = 2 bytes, 2 = 4 bytes, big-endian unsigned.
    private bool TryReadLength(int sizeClass, out int length)
    {
        length = 0;
        var size = 1 << sizeClass;
        if (!TryTake(size, out var bytes))
        {
            return false;
        }

        uint value = size switch
        {
            1 => bytes[0],
            2 => BinaryPrimitives.ReadUInt16BigEndian(bytes),
            _ => BinaryPrimitives.ReadUInt32BigEndian(bytes),
        };
        if (value > int.MaxValue)
        {
            return false;
        }

        length = (int)value;
        return true;
    }

    private bool TryReadUnsigned(int size, out ulong value)
    {
        value = 0;
        if (!TryTake(size, out var bytes))
        {
            return false;
        }

        value = size switch
        {
            1 => bytes[0],
            2 => BinaryPrimitives.ReadUInt16BigEndian(bytes),
            4 => BinaryPrimitives.ReadUInt32BigEndian(bytes),
            _ => BinaryPrimitives.ReadUInt64BigEndian(bytes),
        };
        return true;
    }

    private bool TryReadSigned(int size, out long value)
    {
        value = 0;
        if (!TryTake(size, out var bytes))
        {
            return false;
        }

        value = size switch
        {
            1 => (sbyte)bytes[0],
            2 => BinaryPrimitives.ReadInt16BigEndian(bytes),
            4 => BinaryPrimitives.ReadInt32BigEndian(bytes),
            _ => BinaryPrimitives.ReadInt64BigEndian(bytes),
        };
        return true;
    }

    private bool TryTake(int length, out ReadOnlySpan<byte> bytes)
    {
        if (length < 0 || length > Remaining)
        {
            bytes = default;
            return false;
        }

        bytes = _data.Slice(_position, length);
        _position += length;
        return true;
    }
}
