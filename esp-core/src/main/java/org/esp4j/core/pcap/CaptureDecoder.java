package org.esp4j.core.pcap;

import java.io.IOException;
import java.nio.ByteOrder;

/**
 * One capture format behind {@link PcapReader}.
 */
interface CaptureDecoder
{
    boolean next(PcapFrame frame, long frameNumber) throws IOException;

    ByteOrder byteOrder();

    int interfaceCount();

    int interfaceLinkType(int interfaceId);

    long interfaceSnapLength(int interfaceId);
}
