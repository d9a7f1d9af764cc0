from wushe.cli import main

main()
