import type { TourStep } from '../../../../shared/settings';

/**
 * What the tour says at each step. The walkthrough it follows is *Inside minikube ISO*:
 * build with Docker, mount the ISO, unpack its initrd, boot it in VirtualBox and log in as
 * root, then `minikube start --iso-url`. Facts here must hold for minikube's ISO and for the
 * Hello ISO sample alike.
 */

export interface Term {
  term: string;
  says: string;
}

export interface StepText {
  /** In the stepper. */
  short: string;
  title: string;
  /** Two or three sentences: what happens and why. */
  body: string;
  /** Names the step's screen uses, one sentence each. */
  terms?: Term[];
}

export const STEP_TEXT: Record<TourStep, StepText> = {
  build: {
    short: 'Build',
    title: 'Build the ISO with Docker',
    body:
      'minikube’s Makefile builds its ISO in two Docker steps, and ISO Lab runs the same two: docker build makes the builder image, then docker run starts it with the checkout mounted at /mnt and runs make inside. ' +
      'The builder image holds the whole toolchain (for minikube, buildroot and its compilers; for the sample, a kernel, busybox and the ISO tools), so this machine needs nothing but Docker. ' +
      'What comes out is one bootable .iso file.',
    terms: [
      { term: 'Builder image', says: 'A Docker image with every tool the build needs; reused as long as its Dockerfile and context do not change.' },
      { term: 'buildroot', says: 'What minikube uses to compile a kernel and a small root filesystem from source: hours the first time, where the sample takes minutes.' },
    ],
  },
  inspect: {
    short: 'Inspect',
    title: 'Look inside the ISO',
    body:
      'The ISO is a CD image (ISO 9660) holding little more than a kernel, an initrd and a bootloader. ' +
      'ISO Lab reads it in place, with no mount and no sudo, and opens boot/initrd as the folders it unpacks to: what the walkthrough does with mount, bunzip2 and cpio -idv.',
    terms: [
      { term: 'boot/bzImage', says: 'The Linux kernel, compressed (a “big zImage”), with a small decompressor in front.' },
      { term: 'boot/initrd', says: 'A compressed cpio archive: the kernel unpacks it into RAM and uses it as the root filesystem.' },
      { term: 'isolinux/', says: 'The BIOS bootloader: isolinux.bin reads isolinux.cfg, which names the kernel, the initrd and the kernel’s options (console=ttyS0).' },
      { term: 'boot.catalog', says: 'The El Torito boot catalog: it tells the PC’s firmware that the CD boots, and with which file (isolinux.bin).' },
      {
        term: 'Root filesystem',
        says: 'Inside the initrd: /etc holds the configuration, /usr/bin and /usr/lib the programs and libraries (/bin and /lib often link there), /var and /run what changes while it runs.',
      },
    ],
  },
  boot: {
    short: 'Boot',
    title: 'Boot it in a VM',
    body:
      'A VM boots the ISO the way a PC boots a CD: the firmware finds the El Torito entry, isolinux loads bzImage and the initrd, and the kernel unpacks the initrd into RAM and starts its init. ' +
      'The root filesystem lives in memory, so every boot starts from the same clean state (minikube keeps what must last on the VM’s disk). ' +
      'ISO Lab uses QEMU, or VirtualBox as in the walkthrough, with its VM size: 2 CPUs, 2000 MB of memory, a 20000 MB disk.',
  },
  console: {
    short: 'Console',
    title: 'Log in on the serial console',
    body:
      'isolinux.cfg passes console=ttyS0, so the kernel’s messages and the login prompt go to the VM’s first serial port, which ISO Lab shows in this terminal. ' +
      'These ISOs let root log in without a password: type root at login:, or press Log in as root. ' +
      'You are then in the ISO’s own Linux, running from RAM, with no Kubernetes yet: that is minikube’s part.',
  },
  minikube: {
    short: 'minikube',
    title: 'Use it with minikube',
    body:
      'minikube start --iso-url=file:///…/your.iso makes minikube boot its VM from this ISO instead of the released one: it copies the file into its cache (the walkthrough’s “Downloading …/boot2docker.iso from file://…” line) and creates the VM from it. ' +
      'minikube then sets up the container runtime and Kubernetes inside over SSH, the part this bare boot did not do. ' +
      'Stop the VM here first: both want the same memory and CPUs.',
  },
};

export const INTRO = {
  title: 'Guided tour: inside a minikube ISO',
  body:
    'Five steps through the walkthrough this app automates: build an ISO with Docker, look inside it, boot it, log in on its console, and hand it to minikube. ' +
    'The tour points at the control to use next and never gets in the way: collapse it or leave it, and it resumes where you were.',
  sample: { label: 'With the sample project', detail: 'Hello ISO: minikube’s layout, builds in a few minutes with Docker' },
  own: { label: 'With an ISO I already have', detail: 'minikube.iso or one like it; the build step is skipped' },
};
