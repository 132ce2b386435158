package org.esp4j.sip.lifecycle;

import org.esp4j.sip.util.InetAddressText;

import java.net.InetAddress;

/**
 * Who a registration is, for events and logs: the private identity (IMPI), the Call-ID of the REGISTER dialog,
 * the registered contact and the UE's address.
 */
public final class RegistrationIdentity
{
    private final String impi;
    private final String callId;
    private final String contact;
    private final InetAddress ueAddress;

    /**
     * @param impi      private user identity (Authorization username, else the To URI).
     * @param callId    Call-ID.
     * @param contact   registered contact URI, may be null.
     * @param ueAddress UE IP address.
     */
    public RegistrationIdentity(final String impi, final String callId, final String contact, final InetAddress ueAddress)
    {
        this.impi = impi;
        this.callId = callId;
        this.contact = contact;
        this.ueAddress = ueAddress;
    }

    /**
     * @return the IMPI.
     */
    public String impi()
    {
        return impi;
    }

    /**
     * @return the Call-ID.
     */
    public String callId()
    {
        return callId;
    }

    /**
     * @return the contact URI, or null.
     */
    public String contact()
    {
        return contact;
    }

    /**
     * @return the UE address.
     */
    public InetAddress ueAddress()
    {
        return ueAddress;
    }

    public String toString()
    {
        return "impi=" + impi + " call-id=" + callId + " contact=" + contact + " ue=" + InetAddressText.format(ueAddress);
    }
}
