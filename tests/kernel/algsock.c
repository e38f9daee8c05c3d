/* Tries socket(FAMILY, TYPE, 0) for the family and type named on the command line (`alg
 * seqpacket` when none are) and prints what the kernel said: `allow` when AppArmor let the
 * call through (the socket was made, or the family itself failed after the LSM hook, e.g.
 * EAFNOSUPPORT when af_alg is a module that is not loaded), `deny` on EACCES or EPERM. The
 * errno text follows, so the log shows which case it was. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef AF_ALG
#define AF_ALG 38
#endif

int main(int argc, char **argv)
{
	const char *fam = argc > 1 ? argv[1] : "alg";
	const char *typ = argc > 2 ? argv[2] : "seqpacket";
	int family = strcmp(fam, "inet") == 0 ? AF_INET : AF_ALG;
	int type = strcmp(typ, "dgram") == 0 ? SOCK_DGRAM
		 : strcmp(typ, "stream") == 0 ? SOCK_STREAM
		 : SOCK_SEQPACKET;
	int fd = socket(family, type, 0);
	if (fd >= 0) {
		close(fd);
		printf("allow created\n");
		return 0;
	}
	int e = errno;
	if (e == EACCES || e == EPERM) {
		printf("deny %s\n", strerror(e));
		return 1;
	}
	printf("allow %s\n", strerror(e));
	return 0;
}
