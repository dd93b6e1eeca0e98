using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

// MSBuild inline task (see LibTorchSharpGlibcxx.targets). Patches an ELF64 little-endian shared
// library in place so that a version need the host's libstdc++ cannot satisfy becomes weak.
public class PatchLibTorchSharpGlibcxx : Task
{
    private const string MissingVersion = "GLIBCXX_3.4.32";
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const uint ShtGnuVersym = 0x6fffffff;
    private const uint ShtDynsym = 11;
    private const ushort VerFlagWeak = 0x2;

    [Required]
    public ITaskItem[] Libraries { get; set; }

    public override bool Execute()
    {
        if (HostProvides(MissingVersion))
        {
            Log.LogMessage(MessageImportance.Low, "libstdc++ provides " + MissingVersion + "; libLibTorchSharp.so left as shipped.");
            return true;
        }
        foreach (var item in Libraries)
        {
            var path = item.ItemSpec;
            try
            {
                var bytes = File.ReadAllBytes(path);
                int changes = Patch(bytes);
                if (changes > 0)
                {
                    File.WriteAllBytes(path, bytes);
                    Log.LogMessage(MessageImportance.High, "Patched " + path + " for a libstdc++ without " + MissingVersion + " (" + changes + " entries).");
                }
            }
            catch (Exception e)
            {
                Log.LogError("Could not patch " + path + ": " + e.Message);
            }
        }
        return !Log.HasLoggedErrors;
    }

    private static bool HostProvides(string version)
    {
        string[] candidates =
        {
            "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
            "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6", "/usr/lib/aarch64-linux-gnu/libstdc++.so.6",
        };
        var needle = Encoding.ASCII.GetBytes(version + "\0");
        foreach (var candidate in candidates)
        {
            if (!File.Exists(candidate)) continue;
            var data = File.ReadAllBytes(candidate);
            return IndexOf(data, needle) >= 0;
        }
        return true; // no libstdc++ found where we look: do not touch anything
    }

    private static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (int i = 0; i <= haystack.Length - needle.Length; i++)
        {
            int j = 0;
            while (j < needle.Length && haystack[i + j] == needle[j]) j++;
            if (j == needle.Length) return i;
        }
        return -1;
    }

    // Returns the number of entries changed (0 when already patched or nothing to do).
    public static int Patch(byte[] elf)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (elf[4] != 2 || elf[5] != 1) throw new InvalidDataException("only ELF64 little-endian is supported");

        long shoff = (long)BitConverter.ToUInt64(elf, 0x28);
        int shentsize = BitConverter.ToUInt16(elf, 0x3A);
        int shnum = BitConverter.ToUInt16(elf, 0x3C);

        long verneedOff = -1, verneedStr = -1, versymOff = -1, dynsymOff = -1, dynsymStr = -1;
        int verneedCount = 0, dynsymCount = 0;
        for (int i = 0; i < shnum; i++)
        {
            long sh = shoff + (long)i * shentsize;
            uint type = BitConverter.ToUInt32(elf, (int)sh + 4);
            long offset = (long)BitConverter.ToUInt64(elf, (int)sh + 0x18);
            long size = (long)BitConverter.ToUInt64(elf, (int)sh + 0x20);
            uint link = BitConverter.ToUInt32(elf, (int)sh + 0x28);
            uint info = BitConverter.ToUInt32(elf, (int)sh + 0x2C);
            long entsize = (long)BitConverter.ToUInt64(elf, (int)sh + 0x38);
            if (type == ShtGnuVerneed) { verneedOff = offset; verneedCount = (int)info; verneedStr = SectionOffset(elf, shoff, shentsize, link); }
            else if (type == ShtGnuVersym) versymOff = offset;
            else if (type == ShtDynsym) { dynsymOff = offset; dynsymCount = (int)(size / entsize); dynsymStr = SectionOffset(elf, shoff, shentsize, link); }
        }
        if (verneedOff < 0 || versymOff < 0 || dynsymOff < 0) return 0;

        int changes = 0;
        int weakenedIndex = -1;
        long vn = verneedOff;
        for (int n = 0; n < verneedCount; n++)
        {
            int cnt = BitConverter.ToUInt16(elf, (int)vn + 2);
            long aux = vn + BitConverter.ToUInt32(elf, (int)vn + 8);
            for (int a = 0; a < cnt; a++)
            {
                ushort flags = BitConverter.ToUInt16(elf, (int)aux + 4);
                ushort other = BitConverter.ToUInt16(elf, (int)aux + 6);
                uint name = BitConverter.ToUInt32(elf, (int)aux + 8);
                if (ReadString(elf, verneedStr + name) == MissingVersion)
                {
                    weakenedIndex = other;
                    if ((flags & VerFlagWeak) == 0)
                    {
                        WriteUInt16(elf, aux + 4, (ushort)(flags | VerFlagWeak));
                        changes++;
                    }
                }
                aux += BitConverter.ToUInt32(elf, (int)aux + 12);
            }
            vn += BitConverter.ToUInt32(elf, (int)vn + 12);
        }
        if (weakenedIndex < 0) return changes;

        // Clear the version of every dynamic symbol bound to the weakened version (patchelf --clear-symbol-version).
        for (int s = 0; s < dynsymCount; s++)
        {
            long vs = versymOff + 2L * s;
            ushort ver = BitConverter.ToUInt16(elf, (int)vs);
            if ((ver & 0x7fff) == weakenedIndex)
            {
                WriteUInt16(elf, vs, 1); // VER_NDX_GLOBAL
                changes++;
            }
        }
        return changes;
    }

    private static long SectionOffset(byte[] elf, long shoff, int shentsize, uint index)
        => (long)BitConverter.ToUInt64(elf, (int)(shoff + index * shentsize) + 0x18);

    private static string ReadString(byte[] elf, long offset)
    {
        int end = (int)offset;
        while (elf[end] != 0) end++;
        return Encoding.ASCII.GetString(elf, (int)offset, end - (int)offset);
    }

    private static void WriteUInt16(byte[] elf, long offset, ushort value)
    {
        elf[offset] = (byte)(value & 0xff);
        elf[offset + 1] = (byte)(value >> 8);
    }
}
