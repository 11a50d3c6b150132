
standard_scalere
c
std\Z

P@+Yгgn?Яэ@;fб@ёљ¶Lщ@+vhO‹LО@A”CNЖFy@>ТL(°9э@*‰м±f?хeOЋ
+?аЪмІ|h@'De‚Укб