using System.Buffers.Binary;

namespace Bollard.Scanning.Analyzers.Languages.Java;

/// <summary>
/// Reads a zip file's end-of-central-directory record (PKWARE APPNOTE 4.3.16, and the zip64 record of 4.3.14 when the
/// 16/32-bit fields are saturated) to learn its entry count before <c>ZipArchive</c> allocates an object per entry.
/// </summary>
internal static class ZipDirectory
{
    private const int EndRecordSize = 22;
    private const int MaxCommentSize = 0xFFFF;

    /// <returns>null when the archive may be opened; else why not (not a zip, too many entries).</returns>
    public static string? Check(Stream zip, long maxEntries)
    {
        long length = zip.Length;
        if (length < EndRecordSize)
        {
            return "too short for a zip archive";
        }

        int tail = (int)Math.Min(length, EndRecordSize + MaxCommentSize);
        var buffer = new byte[tail];
        zip.Position = length - tail;
        zip.ReadExactly(buffer);
        int end = -1;
        for (int i = tail - EndRecordSize; i >= 0; i--)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(i)) == 0x06054b50)
            {
                end = i;
                break;
            }
        }

        if (end < 0)
        {
            return "no zip end-of-central-directory record: not a zip archive";
        }

        ulong entries = BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(end + 10));
        if (entries == 0xFFFF && end >= 20 && BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(end - 20)) == 0x07064b50)
        {
            ulong recordOffset = BinaryPrimitives.ReadUInt64LittleEndian(buffer.AsSpan(end - 20 + 8));
            if (recordOffset > (ulong)length - 56)
            {
                return "zip64 end-of-central-directory record past the end of the file";
            }

            var record = new byte[56];
            zip.Position = (long)recordOffset;
            zip.ReadExactly(record);
            if (BinaryPrimitives.ReadUInt32LittleEndian(record) != 0x06064b50)
            {
                return "corrupt zip64 end-of-central-directory record";
            }

            entries = BinaryPrimitives.ReadUInt64LittleEndian(record.AsSpan(32));
        }

        zip.Position = 0;
        return entries > (ulong)maxEntries ? $"{entries} zip entries, more than the {maxEntries} allowed; not read" : null;
    }
}
