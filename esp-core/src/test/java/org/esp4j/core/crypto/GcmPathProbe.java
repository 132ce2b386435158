package org.esp4j.core.crypto;

import org.esp4j.core.text.Hex;

/**
 * Run in a child JVM by {@link JdkGcmIntrinsicsTest}: prints which path a new {@link GcmEngine} takes and the tag it
 * computes for GCM test case 4 (McGrew and Viega), on one line.
 */
public final class GcmPathProbe
{
    private GcmPathProbe()
    {
    }

    public static void main(final String[] args)
    {
        final GcmEngine engine = new GcmEngine(Hex.decode("feffe9928665731c6d6a8f9467308308"));
        final byte[] aad = Hex.decode("feedfacedeadbeeffeedfacedeadbeefabaddad2");
        final byte[] data = Hex.decode("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72" +
            "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39");
        final byte[] tag = new byte[16];
        engine.encrypt(Hex.decode("cafebabefacedbaddecaf888"), aad, 0, aad.length, data, 0, data.length, tag, 0, 16);
        System.out.println(GcmEngine.implementation() + " intrinsics=" + engine.intrinsics() + " tag=" +
            Hex.encode(tag));
    }
}
