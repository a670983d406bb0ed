declare const __ISOLAB_VERSION__: string;
