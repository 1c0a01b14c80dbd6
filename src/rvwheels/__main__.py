from rvwheels.cli import main

main()
