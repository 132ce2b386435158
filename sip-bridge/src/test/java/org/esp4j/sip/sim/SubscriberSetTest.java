package org.esp4j.sip.sim;

import org.esp4j.sip.aka.Milenage;
import org.esp4j.core.text.Hex;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The UE farm's subscribers: the documented derivation (expected keys computed with Python, the index XORed into
 * the last four bytes: {@code bytes(a ^ c for a, c in zip(k[-4:], i.to_bytes(4, 'big')))}), the lookup by IMPI that
 * the daemons' keyring does, and the file of blocks.
 */
class SubscriberSetTest
{
    private static final String DOMAIN = "ims.mnc01.mcc001.3gppnetwork.org";

    @Test
    void shouldDeriveSubscriberIFromTheBaseAsDocumented()
    {
        final Subscriber base = Subscriber.testSet1();
        assertSame(base, SubscriberSet.derive(base, 0));
        final Subscriber one = SubscriberSet.derive(base, 1);
        assertEquals("001010123456790@" + DOMAIN, one.impi());
        assertEquals("sip:001010123456790@" + DOMAIN, one.impu());
        assertEquals("465b5ce8b199b49faa5f0a2ee238a6bd", Hex.encode(one.k()));
        assertEquals("cd63cb71954a9f4e48a5994e37a02bae", Hex.encode(one.opc()));
        final Subscriber far = SubscriberSet.derive(base, 70_000);
        assertEquals("001010123526789@" + DOMAIN, far.impi());
        assertEquals("465b5ce8b199b49faa5f0a2ee239b7cc", Hex.encode(far.k()));
        assertEquals("cd63cb71954a9f4e48a5994e37a13adf", Hex.encode(far.opc()));
        assertEquals(base.sqn(), far.sqn());
        assertEquals(base.amf(), far.amf());
    }

    @Test
    void shouldFindTheIndexAndKeysOfADerivedImpiAndNothingOutsideTheSet()
    {
        final SubscriberSet set = SubscriberSet.derived(Subscriber.testSet1(), 1000);
        assertEquals(1000, set.size());
        assertEquals(0, set.indexOf("001010123456789@" + DOMAIN));
        assertEquals(999, set.indexOf("001010123457788@" + DOMAIN));
        assertEquals(-1, set.indexOf("001010123457789@" + DOMAIN), "one past the last");
        assertEquals(-1, set.indexOf("001010123456788@" + DOMAIN), "one before the first");
        assertEquals(-1, set.indexOf("001010123456790@other.example"));
        assertEquals(-1, set.indexOf("1010123456790@" + DOMAIN), "same number, another width");
        assertNull(set.algorithmFor("nobody@" + DOMAIN));
        final byte[] rand = Hex.decode("rand", "23553cbe9637a89d218ae64dae47bf35");
        final Subscriber five = set.get(5);
        assertArrayEquals(Milenage.withOpc(five.k(), five.opc()).f2345(rand).ik(),
            set.algorithmFor(five.impi()).f2345(rand).ik());
    }

    @Test
    void shouldReadBlocksEachStartingWithItsImpiAndDeriveACountedOne(@TempDir final Path dir) throws Exception
    {
        final Path file = dir.resolve("farm.subscribers");
        Files.writeString(file, String.join("\n",
            "# two explicit subscribers, then 100 derived from a third",
            "impi = alice@" + DOMAIN,
            "k = 000102030405060708090a0b0c0d0e0f",
            "opc = 0f0e0d0c0b0a09080706050403020100",
            "impi = bob@" + DOMAIN,
            "impi = 001019990000000@" + DOMAIN,
            "count = 100",
            ""), StandardCharsets.US_ASCII);
        final SubscriberSet set = SubscriberSet.read(file, 0);
        assertEquals(102, set.size());
        assertEquals("alice@" + DOMAIN, set.get(0).impi());
        assertEquals("000102030405060708090a0b0c0d0e0f", Hex.encode(set.get(0).k()));
        assertEquals("bob@" + DOMAIN, set.get(1).impi());
        assertArrayEquals(Subscriber.testSet1().k(), set.get(1).k(), "keys not given keep test set 1's");
        assertEquals("001019990000099@" + DOMAIN, set.get(101).impi());
        assertEquals(101, set.indexOf("001019990000099@" + DOMAIN));
        assertEquals(1, set.indexOf("bob@" + DOMAIN));
        final IllegalArgumentException tooMany = assertThrows(IllegalArgumentException.class,
            () -> SubscriberSet.read(file, 103));
        assertTrue(tooMany.getMessage().contains("holds 102 subscribers, 103 asked for"), tooMany.getMessage());
    }

    @Test
    void shouldDeriveASingleBlockToTheNumberAskedForAndNameTheLineOfABadCount(@TempDir final Path dir)
        throws Exception
    {
        final Path single = dir.resolve("one");
        Files.writeString(single, "impi = 001010000000001@" + DOMAIN + "\n", StandardCharsets.US_ASCII);
        assertEquals(50, SubscriberSet.read(single, 50).size());
        assertEquals("001010000000050@" + DOMAIN, SubscriberSet.read(single, 50).get(49).impi());

        final Path bad = dir.resolve("bad");
        Files.writeString(bad, "impi = x@" + DOMAIN + "\ncount = many\n", StandardCharsets.US_ASCII);
        final IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
            () -> SubscriberSet.read(bad, 0));
        assertEquals(bad + ":2: count: expected a decimal number", error.getMessage());

        final Path twice = dir.resolve("twice");
        Files.writeString(twice, "impi = a@" + DOMAIN + "\nimpi = a@" + DOMAIN + "\n", StandardCharsets.US_ASCII);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SubscriberSet.read(twice, 0)).getMessage()
            .contains("an impi is given twice"));
    }
}
