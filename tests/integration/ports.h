/*
 * ports.h: loopback TCP ports for the servers a test starts.
 */
#ifndef GW_TEST_PORTS_H
#define GW_TEST_PORTS_H

/*
 * A port on 127.0.0.1 that nothing is bound to now, below the kernel's
 * ephemeral range (so no outgoing connection is given it while the server
 * starts) and reserved for this process until it exits (so no concurrent
 * test picks it).  Fails the test when none is left.
 */
int	 test_port(void);

#endif
