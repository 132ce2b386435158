package org.esp4j.core.ip;

import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.core.testutil.EspVectors;
import org.esp4j.core.testutil.Json;
import org.esp4j.core.text.Hex;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * The scapy-made vectors of {@code /vectors/ip/header_vectors.json} (made by {@code header_vectors.py} beside it).
 */
final class HeaderVectors
{
    private static final Map<String, Object> ROOT = load();

    private HeaderVectors()
    {
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> list(final String name)
    {
        return (List<Map<String, Object>>)ROOT.get(name);
    }

    static UnsafeBuffer packet(final Map<String, Object> vector)
    {
        return new UnsafeBuffer(Hex.decode((String)vector.get("packet")));
    }

    static int integer(final Map<String, Object> vector, final String key)
    {
        return ((Long)vector.get(key)).intValue();
    }

    static long unsigned(final Map<String, Object> vector, final String key)
    {
        return (Long)vector.get(key);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> load()
    {
        final byte[] json = EspVectors.resourceBytes("/vectors/ip/header_vectors.json");
        return (Map<String, Object>)Json.parse(new String(json, StandardCharsets.UTF_8));
    }
}
