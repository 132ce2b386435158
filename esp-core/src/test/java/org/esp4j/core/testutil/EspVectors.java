package org.esp4j.core.testutil;

import org.esp4j.core.text.Hex;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The shared ESP test vectors ({@code src/test/resources/vectors/esp/vectors.json}, a copy of
 * {@code /work/shared/vectors/esp}) as typed records, loaded once from the classpath.
 * <p>
 * Loading is strict: an unknown or missing field fails, so a regenerated file with new fields is noticed.
 */
public final class EspVectors
{
    public static final String RESOURCE_DIRECTORY = "/vectors/esp/";
    public static final String VECTORS_RESOURCE = RESOURCE_DIRECTORY + "vectors.json";
    /** The replay_group of the 25-step anti-replay sequence in esp_replay_window.pcap. */
    public static final String REPLAY_GROUP = "replay";

    private static final Set<String> VECTOR_FIELDS = Set.of(
        "suite", "auth_alg", "auth_key_hex", "crypt_alg", "crypt_key_hex", "mode", "icv_len", "name", "family",
        "direction", "encap", "src", "dst", "sport", "dport", "spi", "spi_hex", "seq", "plaintext_hex",
        "plaintext_udp_payload", "expected_icv", "expected_verdict", "why", "replay_group", "esp_hex", "esp_offset",
        "icv_hex", "iv_hex", "pad_len", "next_header", "pcap", "frame", "esp_ip_hex", "expected_tshark_icv",
        "icv_hex_valid", "step", "window_after");
    private static final Set<String> SA_FIELDS = Set.of(
        "pcap", "protocol", "src", "dst", "spi_hex", "crypt_alg", "tshark_crypt", "crypt_key_hex", "auth_alg",
        "tshark_auth", "auth_key_hex");
    private static final Set<String> TOP_LEVEL_FIELDS = Set.of("generator", "notes", "keys", "sa", "vectors");

    private static EspVectors instance;

    private final String generator;
    private final List<String> notes;
    private final Map<String, String> keysHex;
    private final List<EspSa> sas;
    private final List<EspVector> vectors;

    private EspVectors(
        final String generator,
        final List<String> notes,
        final Map<String, String> keysHex,
        final List<EspSa> sas,
        final List<EspVector> vectors)
    {
        this.generator = generator;
        this.notes = notes;
        this.keysHex = keysHex;
        this.sas = sas;
        this.vectors = vectors;
    }

    /**
     * @return the vectors, parsed on first use.
     */
    public static synchronized EspVectors load()
    {
        if (null == instance)
        {
            instance = parse(new String(resourceBytes(VECTORS_RESOURCE), StandardCharsets.UTF_8));
        }
        return instance;
    }

    /**
     * @param jsonText contents of a vectors.json.
     * @return the typed vectors.
     */
    @SuppressWarnings("unchecked")
    public static EspVectors parse(final String jsonText)
    {
        final Map<String, Object> root = (Map<String, Object>)Json.parse(jsonText);
        checkFields("top level", root, TOP_LEVEL_FIELDS, TOP_LEVEL_FIELDS);

        final Map<String, String> keys = new LinkedHashMap<>();
        ((Map<String, Object>)root.get("keys")).forEach((name, hex) -> keys.put(name, (String)hex));

        final List<EspSa> sas = new ArrayList<>();
        for (final Object entry : (List<Object>)root.get("sa"))
        {
            sas.add(sa((Map<String, Object>)entry));
        }

        final List<EspVector> vectors = new ArrayList<>();
        for (final Object entry : (List<Object>)root.get("vectors"))
        {
            vectors.add(vector((Map<String, Object>)entry));
        }

        final List<String> notes = new ArrayList<>();
        for (final Object note : (List<Object>)root.get("notes"))
        {
            notes.add((String)note);
        }

        return new EspVectors(
            (String)root.get("generator"),
            Collections.unmodifiableList(notes),
            Collections.unmodifiableMap(keys),
            Collections.unmodifiableList(sas),
            Collections.unmodifiableList(vectors));
    }

    public String generator()
    {
        return generator;
    }

    public List<String> notes()
    {
        return notes;
    }

    /**
     * @return the {@code keys} map as in the file: key name (e.g. {@code IK}, {@code AES-CBC (CK)}) to hex.
     */
    public Map<String, String> keysHex()
    {
        return keysHex;
    }

    /**
     * @param name key name as in the {@code keys} map.
     * @return the key bytes.
     */
    public byte[] key(final String name)
    {
        final String hex = keysHex.get(name);
        if (null == hex)
        {
            throw new IllegalArgumentException("no key named " + name + " in " + keysHex.keySet());
        }
        return Hex.decode(hex);
    }

    public List<EspSa> sas()
    {
        return sas;
    }

    public List<EspVector> vectors()
    {
        return vectors;
    }

    /**
     * @param pcap pcap file name, e.g. {@code esp_null_md5.pcap}.
     * @return the vectors stored in that pcap, in frame order.
     */
    public List<EspVector> inPcap(final String pcap)
    {
        final List<EspVector> result = new ArrayList<>();
        for (final EspVector vector : vectors)
        {
            if (vector.pcap().equals(pcap))
            {
                result.add(vector);
            }
        }
        result.sort((a, b) -> Integer.compare(a.frame(), b.frame()));
        return result;
    }

    /**
     * @param replayGroup a replay_group value.
     * @return the vectors of that receiving SA in file order (which is pcap order).
     */
    public List<EspVector> inReplayGroup(final String replayGroup)
    {
        final List<EspVector> result = new ArrayList<>();
        for (final EspVector vector : vectors)
        {
            if (vector.replayGroup().equals(replayGroup))
            {
                result.add(vector);
            }
        }
        return result;
    }

    /**
     * @return the distinct pcap file names the vectors refer to, in first-seen order.
     */
    public List<String> pcapNames()
    {
        final List<String> names = new ArrayList<>();
        for (final EspVector vector : vectors)
        {
            if (!names.contains(vector.pcap()))
            {
                names.add(vector.pcap());
            }
        }
        return names;
    }

    /**
     * @param resource absolute classpath resource, e.g. {@code /vectors/esp/esp_null_md5.pcap}.
     * @return its bytes.
     */
    public static byte[] resourceBytes(final String resource)
    {
        try (InputStream in = EspVectors.class.getResourceAsStream(resource))
        {
            if (null == in)
            {
                throw new IllegalStateException("missing test resource " + resource);
            }
            return in.readAllBytes();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * @param fileName file in {@link #RESOURCE_DIRECTORY}, e.g. {@code esp_null_md5.pcap}.
     * @return its path on disk: in this module's test resources, or a temporary copy when another module reads them
     * from esp-core's test jar.
     */
    public static Path resourcePath(final String fileName)
    {
        final URL url = EspVectors.class.getResource(RESOURCE_DIRECTORY + fileName);
        if (null == url)
        {
            throw new IllegalStateException("missing test resource " + RESOURCE_DIRECTORY + fileName);
        }
        try
        {
            if ("file".equals(url.getProtocol()))
            {
                return Path.of(url.toURI());
            }
            final Path copy = Files.createTempFile("esp4j-vector-", "-" + fileName);
            copy.toFile().deleteOnExit();
            Files.write(copy, resourceBytes(RESOURCE_DIRECTORY + fileName));
            return copy;
        }
        catch (final URISyntaxException ex)
        {
            throw new IllegalStateException(ex);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private static EspSa sa(final Map<String, Object> json)
    {
        checkFields("sa " + json.get("spi_hex"), json, SA_FIELDS, SA_FIELDS);
        final String spiHex = string(json, "spi_hex");
        return new EspSa(
            string(json, "pcap"),
            string(json, "protocol"),
            string(json, "src"),
            string(json, "dst"),
            Long.parseLong(spiHex.substring(2), 16),
            spiHex,
            string(json, "crypt_alg"),
            string(json, "tshark_crypt"),
            Hex.decode(string(json, "crypt_key_hex")),
            string(json, "auth_alg"),
            string(json, "tshark_auth"),
            Hex.decode(string(json, "auth_key_hex")));
    }

    @SuppressWarnings("unchecked")
    private static EspVector vector(final Map<String, Object> json)
    {
        final Set<String> required = new HashSet<>(VECTOR_FIELDS);
        required.removeAll(Set.of(
            "plaintext_udp_payload", "pad_len", "next_header", "icv_hex_valid", "step", "window_after"));
        checkFields("vector " + json.get("name"), json, VECTOR_FIELDS, required);

        final Map<String, Object> window = (Map<String, Object>)json.get("window_after");
        final String validIcvHex = (String)json.get("icv_hex_valid");
        return new EspVector(
            string(json, "suite"),
            string(json, "auth_alg"),
            Hex.decode(string(json, "auth_key_hex")),
            string(json, "crypt_alg"),
            Hex.decode(string(json, "crypt_key_hex")),
            string(json, "mode"),
            integer(json, "icv_len"),
            string(json, "name"),
            string(json, "family"),
            string(json, "direction"),
            string(json, "encap"),
            string(json, "src"),
            string(json, "dst"),
            integer(json, "sport"),
            integer(json, "dport"),
            (Long)json.get("spi"),
            string(json, "spi_hex"),
            (Long)json.get("seq"),
            Hex.decode(string(json, "plaintext_hex")),
            (String)json.get("plaintext_udp_payload"),
            string(json, "expected_icv"),
            string(json, "expected_verdict"),
            string(json, "why"),
            string(json, "replay_group"),
            Hex.decode(string(json, "esp_hex")),
            integer(json, "esp_offset"),
            Hex.decode(string(json, "icv_hex")),
            Hex.decode(string(json, "iv_hex")),
            optionalInteger(json, "pad_len"),
            optionalInteger(json, "next_header"),
            string(json, "expected_tshark_icv"),
            null == validIcvHex ? null : Hex.decode(validIcvHex),
            string(json, "pcap"),
            integer(json, "frame"),
            Hex.decode(string(json, "esp_ip_hex")),
            optionalInteger(json, "step"),
            null == window ? null : new EspVector.WindowAfter(
                (Long)window.get("top"), (Long)window.get("lowest_acceptable")));
    }

    private static void checkFields(
        final String what, final Map<String, Object> json, final Set<String> known, final Set<String> required)
    {
        for (final String field : json.keySet())
        {
            if (!known.contains(field))
            {
                throw new IllegalArgumentException(what + ": unknown field " + field);
            }
        }
        for (final String field : required)
        {
            if (!json.containsKey(field))
            {
                throw new IllegalArgumentException(what + ": missing field " + field);
            }
        }
    }

    private static String string(final Map<String, Object> json, final String field)
    {
        return (String)json.get(field);
    }

    private static int integer(final Map<String, Object> json, final String field)
    {
        return Math.toIntExact((Long)json.get(field));
    }

    private static Integer optionalInteger(final Map<String, Object> json, final String field)
    {
        final Object value = json.get(field);
        return null == value ? null : Math.toIntExact((Long)value);
    }
}
